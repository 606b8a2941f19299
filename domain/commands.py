"""Commands: the one definition of every decision recorded on a grant position.

Each command is a frozen pydantic model. The class says what it does: its CLI and import name
(`name`), the GrantPosition method it calls (`method`, with the fields as keyword arguments), the
word for the summary (`done`) and one example. Its fields say what it takes: type, limit, help,
metavar, choices and default. The CLI options and the batch-import columns are generated from
these fields, so adding a command means adding a model here and its method on the aggregate.

Every field has a limit; `parse` turns every violation into one line naming each field and value.
Docstrings and descriptions are English; the CLI shows them translated when another language is
chosen (grants.cli.language; docs/i18n.md), so they need no marking here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Self, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from grants.domain import dates, rules
from grants.domain.dates import parse_year
from grants.domain.errors import GrantsError, InvalidInput, quoted, split_hint
from grants.domain.i18n import N_, _
from grants.domain.kommuner import OFFICE_IDS
from grants.domain.money import FTE_RANGE, FTE_TEXT, as_decimal, parse_fte, parse_fte_filled, parse_kroner
from grants.domain.position import ATTESTATIONS, CAUSES
from grants.domain.refs import check_ref
from grants.domain.roles import ROLES

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Shown:
    """How a field is shown to people: metavar, choices (from data, read lazily), option name,
    and for an optional date the rule that fills it when left out (see domain/dates.py)."""

    metavar: str
    choices: Callable[[], Sequence[str]] | None = None
    option: str | None = None  # the option's name when it is not the field's (--partner)
    default_date: Callable[..., date] | None = None
    not_after_today: bool = False  # a date something was received: never in the future


DATE_RULE = N_("must be an ISO date such as 2024-03-01")


def _date(raw: object) -> date:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise ValueError(_(DATE_RULE))
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(_(DATE_RULE) + dates.iso_hint(raw.strip())) from None


def text(limit: int) -> Callable[[object], str]:
    """A validator for free text: a string (never a list, object or null), no control characters."""

    def check(raw: object) -> str:
        if not isinstance(raw, str):
            raise ValueError(_("must be text"))
        if CONTROL.search(raw):  # before strip(): str.strip() silently drops \x1c-\x1f
            raise ValueError(_("must not contain control characters"))
        value = raw.strip()
        if not value:
            raise ValueError(_("must not be empty"))
        if len(value) > limit:
            raise ValueError(_("must be at most {limit} characters").format(limit=limit))
        return value

    return check


def one_of(choices: Callable[[], Sequence[str]]) -> Callable[[object], str]:
    """A validator for a value from a fixed set (read lazily from the domain constants or data);
    case does not matter."""

    def check(raw: object) -> str:
        allowed = choices()
        value = raw.strip().lower() if isinstance(raw, str) else None
        match = next((a for a in allowed if a.lower() == value), None)
        if match is None:
            raise ValueError(_("must be one of {choices}").format(choices=", ".join(allowed)))
        return match

    return check


def _partner(raw: object) -> str:
    """A partner's name: text, without `;`, which separates partners in a file's cell (an import,
    an export's workbook), so a name never comes back as two."""
    value = text(200)(raw)
    if ";" in value:
        raise ValueError(_("must not contain ';' (it separates partners in a file)"))
    return value


def _scheme(raw: object) -> str:
    try:
        return rules.scheme(str(raw).strip()).id
    except GrantsError as error:
        raise ValueError(str(error).removeprefix("scheme: ")) from None


KOMMUNE_RULE = N_("must be a four-digit kommunenummer such as 3401, or a kommune name such as Hamar")


def _kommune(raw: object) -> str:
    """A kommunenummer or a kommune name; the name is resolved with the year of the command
    (kommuner.lookup, in the unit of work), since a name can change its number (Asker 2023/2024)."""
    value = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if re.fullmatch(r"[0-9]{3}", value, re.ASCII):  # a spreadsheet drops the leading zero: 301 is 0301 (Oslo)
        value = "0" + value
    if re.fullmatch(r"[0-9]{4}", value, re.ASCII):
        return value
    if not value or value.isdigit() or len(value) > 60 or CONTROL.search(value):
        raise ValueError(_(KOMMUNE_RULE))
    return value


def _team_limit() -> Decimal:
    """The widest FTE any scheme allows: 1, or more where team grants are allowed (765.60). Each
    scheme's own limit is checked by the aggregate, which knows the scheme."""
    return max(rules.scheme(i).max_fte for i in rules.scheme_ids())


def _fte_checked(parse: Callable[..., Decimal], raw: object) -> Decimal:
    widest = _team_limit()
    try:
        return parse(raw, widest)
    except ValueError as error:
        text, (_rule, hint) = str(raw).strip(), split_hint(str(error))
        if FTE_TEXT.fullmatch(text) and as_decimal(text) > widest:
            raise ValueError(_("must be more than 0 and at most {limit} (a team grant; 1 for one position)")
                             .format(limit=f"{widest.normalize():f}") + hint) from None
        raise ValueError(str(error).replace(_(FTE_RANGE).format(limit=widest), _(FTE_RANGE).format(limit=1))) from None


def _fte(raw: object) -> Decimal:
    return _fte_checked(parse_fte, raw)


def _fte_filled(raw: object) -> Decimal:
    return _fte_checked(parse_fte_filled, raw)


def _scheme_ids() -> Sequence[str]:
    return rules.scheme_ids()


def _causes() -> Sequence[str]:
    return CAUSES


def _attestations() -> Sequence[str]:
    return ATTESTATIONS


def _offices() -> Sequence[str]:
    return sorted(OFFICE_IDS.values())


def _roles() -> Sequence[str]:
    return ROLES


Ref = Annotated[str, BeforeValidator(check_ref), Shown("REF")]
Year = Annotated[int, BeforeValidator(parse_year), Shown("YEAR")]
Fte = Annotated[Decimal, BeforeValidator(_fte), Shown("FTE")]
FteFilled = Annotated[Decimal, BeforeValidator(_fte_filled), Shown("FTE")]
Kroner = Annotated[int, BeforeValidator(parse_kroner), Shown("NOK")]
Day = Annotated[date, BeforeValidator(_date), Shown("YYYY-MM-DD")]
Title = Annotated[str, BeforeValidator(text(200)), Shown("TEXT")]
Reason = Annotated[str, BeforeValidator(text(500)), Shown("TEXT")]
Partner = Annotated[str, BeforeValidator(_partner), Shown("TEXT", option="partner")]
Plan = Annotated[str, BeforeValidator(text(2000)), Shown("TEXT")]
Kommunenummer = Annotated[str, BeforeValidator(_kommune), Shown("KOMMUNE")]
Scheme = Annotated[str, BeforeValidator(_scheme), Shown("SCHEME", _scheme_ids)]
Cause = Annotated[str, BeforeValidator(one_of(_causes)), Shown("CAUSE", _causes)]
Attestation = Annotated[str, BeforeValidator(one_of(_attestations)), Shown("WHO", _attestations)]
LadderYear = Annotated[int, Field(ge=1, le=9), Shown("N")]


class Command(BaseModel):
    """A decision on one grant position, identified by its case reference."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: ClassVar[str]  # the CLI command and the import file's `command` column
    method: ClassVar[str]  # the GrantPosition method that decides it
    done: ClassVar[str]  # past tense, for the summary line (marked N_, translated where shown)
    example: ClassVar[str]

    ref: Ref = Field(description="The case reference, e.g. 2021/4711-3.")

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the aggregate method: every field but the ref (pydantic keeps
        a model's fields, and only those, in its __dict__, in their order: read at once per line
        of a batch import, not by one getattr each)."""
        given = dict(self.__dict__)
        del given["ref"]
        return given

    def touched_year(self) -> int | None:
        """The funded year this command is about, for the summary line."""
        return getattr(self, "year", None)

    def with_dates(self, position: Any, today: date) -> Self:
        """A copy with every left-out date filled by its field's rule (domain/dates.py); a date
        something was received cannot lie after `today` (the edge's clock, passed in)."""
        filled, problems = {}, []
        for field_name, shown in dated_fields(type(self)):
            if shown.default_date and getattr(self, field_name) is None:
                filled[field_name] = shown.default_date(self, position, today)
            value = filled.get(field_name, getattr(self, field_name))
            if shown.not_after_today and isinstance(value, date) and value > today:
                problems.append(f"{field_name}: " + _("{day} is after today ({today})").format(day=value, today=today))
        if problems:
            raise InvalidInput("; ".join(problems))
        return self.model_copy(update=filled) if filled else self


# Optional dates that their rule fills when left out (Command.with_dates, domain/dates.py).
ReceivedApplication = Annotated[Day | None, Shown("YYYY-MM-DD", default_date=dates.application_received,
                                                  not_after_today=True)]
DecidedOn = Annotated[Day | None, Shown("YYYY-MM-DD", default_date=dates.decision_date)]
CarryOverDecided = Annotated[Day | None, Shown("YYYY-MM-DD", default_date=dates.carry_over_date)]
ReportReceived = Annotated[Day | None, Shown("YYYY-MM-DD", default_date=dates.report_received, not_after_today=True)]
EndsOn = Annotated[Day | None, Shown("YYYY-MM-DD", default_date=dates.termination_date)]


class Apply(Command):
    """Record an application for a position (idempotent by REF: a retry with the same data changes nothing)."""

    name = "apply"
    method = "apply_for"
    done = N_("applied")
    example = ('grants apply 2021/4711-3 --kommune 3401 --scheme 765.62 --title "Ruskonsulent" '
               "--fte 1 --year 2021 --received 2021-02-01")

    kommune: Kommunenummer = Field(description="The applicant kommune: its number (3401) or name (Kongsvinger).")
    scheme: Scheme = Field(description="The grant scheme.")
    title: Title = Field(description="The position's title, e.g. Ruskonsulent.")
    fte: Fte = Field(description="Share of a full-time position, 0.01 to 1 (e.g. 0.5); a 765.60 team "
                                 "grant may cover more (e.g. 3.5).")
    year: Year = Field(description="The first year applied for.")
    received: ReceivedApplication = Field(
        default=None, description="Date the application was received (default: today; for a past year, "
                                  "that year's application deadline).")
    wage_cost: Kroner | None = Field(default=None, description="Yearly wage cost of the position in kroner.")
    focus: Title | None = Field(default=None, description="Focus area (innsatsområde).")
    partners: tuple[Partner, ...] = Field(default=(), max_length=20,
                                        description="A cooperating partner (repeat for several).")
    permanence_plan: Plan | None = Field(
        default=None, description="How the kommune makes the position permanent (plan for varighet; "
                                  "expected on 765.62).")
    other_costs: Kroner | None = Field(
        default=None, description="Yearly costs other than salaries in kroner (schemes that cover them: "
                                  "765.60, 765.62-new).")

    @field_validator("fte", mode="before")
    @classmethod
    def _within_the_schemes_limit(cls, raw: object, info: ValidationInfo) -> object:
        """The scheme is known here (validated before the FTE): its own limit, 1 but for team grants."""
        scheme_id = info.data.get("scheme")
        if scheme_id is not None:
            parse_fte(raw, rules.scheme(scheme_id).max_fte)
        return raw


class Grant(Command):
    """Grant the first year of an application; ladder schemes compute the amount."""

    name = "grant"
    method = "grant"
    done = N_("granted")
    example = "grants grant 2021/4711-3 --year 2021 --decided 2021-03-15"

    year: Year = Field(description="The year granted (the year applied for).")
    ladder_year: LadderYear | None = Field(
        default=None, description="Place the position on ladder year N (positions funded before; needs --reason).")
    amount: Kroner | None = Field(default=None, description="The amount in kroner (amount-based schemes; on "
                                                            "765.62 a discretionary amount, with --reason).")
    decided: DecidedOn = Field(default=None, description="Decision date (default: today; for a past year, "
                                                         "1 January of it or the date received, if later).")
    reason: Reason | None = Field(default=None, description="Why, for a ladder placement, a discretionary amount "
                                                            "or a grant over the frame.")
    over_frame: bool = Field(default=False, description="Grant beyond the office's budget frame (needs --reason).")
    pre_project: bool = Field(default=False, description="765.60: the first year is a pre-project year.")


class Reject(Command):
    """Reject an application."""

    name = "reject"
    method = "reject"
    done = N_("rejected")
    example = 'grants reject 2021/4711-3 --reason "outside the scheme" --decided 2021-03-15'

    reason: Reason = Field(description="Why the application is rejected.")
    decided: DecidedOn = Field(default=None, description="Decision date (default: today; for a past year, "
                                                         "1 January of it or the date received, if later).")


class Advance(Command):
    """Fund the next calendar year of an active position."""

    name = "advance"
    method = "advance"
    done = N_("advanced")
    example = "grants advance 2021/4711-3 --year 2022"

    year: Year = Field(description="The next calendar year (a later year resumes funding after a gap; "
                                   "needs --reason).")
    amount: Kroner | None = Field(default=None, description="The amount in kroner (amount-based schemes; on "
                                                            "765.62 a discretionary amount, with --reason).")
    decided: DecidedOn = Field(default=None, description="Decision date (default: today; for a past year, "
                                                         "1 January of it).")
    reason: Reason | None = Field(default=None, description="Why, for a discretionary amount, resumed funding, "
                                                            "a ladder placement or a grant over the frame.")
    over_frame: bool = Field(default=False, description="Fund beyond the office's budget frame (needs --reason).")
    ladder_year: LadderYear | None = Field(
        default=None, description="Place the position on ladder year N when funding resumes after a gap "
                                  "(needs --reason).")
    wage_cost: Kroner | None = Field(default=None, description="The year's wage cost in kroner (updates the "
                                                               "one applied with).")
    kommune: Kommunenummer | None = Field(
        default=None, description="The kommune the position continues in after a kommune reform, where the "
                                  "old kommune was split (1507 -> 1508 or 1580).")


class ReduceFte(Command):
    """Lower a position's FTE from the first day of a month; that year's amount is pro rata."""

    name = "reduce-fte"
    method = "reduce_fte"
    done = N_("reduced")
    example = 'grants reduce-fte 2021/4711-3 --fte 0.5 --effective 2022-07-01 --reason "vacancy"'

    fte: Fte = Field(description="The new, lower share of a full-time position.")
    effective: Day = Field(description="First day of the month it takes effect, YYYY-MM-01.")
    reason: Reason | None = Field(default=None, description="Why the FTE is reduced.")
    rescale: bool = Field(default=False, description="Rescale the year's amount to the new FTE where the scheme "
                                                     "keeps it by default (765.60 team grants).")

    def touched_year(self) -> int | None:
        return self.effective.year


class Report(Command):
    """Record the report for a funded year; to reclaim = paid - min(spent, entitlement)."""

    name = "report"
    method = "report"
    done = N_("reported")
    example = "grants report 2021/4711-3 --year 2022 --spent 400000 --self-financing 120000 --received 2023-01-20"

    year: Year = Field(description="The funded year reported on.")
    spent: Kroner = Field(description="Kroner of the grant spent in the year.")
    fte_filled: FteFilled | None = Field(default=None, description="Average FTE actually filled over the funded "
                                                                   "months; scales the entitlement by it / FTE.")
    self_financing: Kroner | None = Field(default=None, description="Kroner the kommune financed itself.")
    attested: Attestation = Field(default="self", description="Who attested the accounts.")
    received: ReportReceived = Field(default=None, description="Date the report was received (default: today; "
                                                               "for a year before last year, its report deadline).")
    correction: bool = Field(default=False,
                             description="Replace the year's earlier report (a new event, never an edit).")
    reason: Reason | None = Field(default=None, description="Why, for a correction.")


class Terminate(Command):
    """End a position; reports for its funded years are still accepted."""

    name = "terminate"
    method = "terminate"
    done = N_("terminated")
    example = ('grants terminate 2021/4711-3 --cause wound-down --reason "transitional rule ended" '
               "--effective 2024-12-31")

    cause: Cause = Field(description="Why the position ends.")
    reason: Reason = Field(description="The decision in words.")
    effective: EndsOn = Field(default=None, description="Last day of the position (default: today; if its last "
                                                        "funded year is past, 31 December of that year).")

    def touched_year(self) -> int | None:
        return self.effective.year if self.effective else None


class CarryOver(Command):
    """Carry approved unspent money into the next year (overføring av ubrukte midler), from a reported year."""

    name = "carry-over"
    method = "carry_over"
    done = N_("carried over")
    example = 'grants carry-over 2025/118-2 --from-year 2025 --amount 120000 --reason "approved on application"'

    from_year: Year = Field(description="The reported year whose unspent money is carried into the next year.")
    amount: Kroner = Field(description="Kroner carried over (at most the year's unspent amount).")
    reason: Reason = Field(description="The approval in words.")
    decided: CarryOverDecided = Field(default=None, description="Decision date (default: today; for a past "
                                                                "year, 1 January of the year carried into, or "
                                                                "the day the report was received, if later).")

    def touched_year(self) -> int | None:
        return self.from_year + 1


COMMANDS: dict[str, type[Command]] = {model.name: model for model in Command.__subclasses__()}


def shown_of(info: Any) -> Shown | None:
    """The `Shown` metadata of a field, looking inside `X | None` and Annotated types."""
    for item in info.metadata:
        if isinstance(item, Shown):
            return item
    return _shown_in(info.annotation)


def _shown_in(annotation: Any) -> Shown | None:
    for arg in get_args(annotation):
        if isinstance(arg, Shown):
            return arg
        found = _shown_in(arg) if get_args(arg) else None
        if found:
            return found
    return None


@cache
def dated_fields(model: type[Command]) -> tuple[tuple[str, Shown], ...]:
    """(field, its Shown) for every date field with a default rule or a not-after-today limit."""
    found = ((name, shown_of(info)) for name, info in model.model_fields.items())
    return tuple((name, shown) for name, shown in found
                 if shown is not None and (shown.default_date or shown.not_after_today))


def is_flag(info: Any) -> bool:
    return info.annotation is bool


def is_multiple(info: Any) -> bool:
    return get_origin(info.annotation) is tuple


# pydantic's own checks (types, Field limits), said as the rules above say theirs.
PYDANTIC_RULES = {
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than_equal": N_("must be at most {le}"),
    "int_parsing": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "bool_parsing": N_("must be true or false"),
    "bool_type": N_("must be true or false"),
    "string_type": N_("must be text"),
    "string_too_long": N_("must be at most {max_length} characters"),
    "too_long": N_("must have at most {max_length} items"),
    "tuple_type": N_("must be a list"),
}


def describe(error: ValidationError) -> str:
    """All violations in one line: `field: message, got 'value'`."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if not isinstance(p, int)) or "input"
        if item["type"] in PYDANTIC_RULES:
            message = _(PYDANTIC_RULES[item["type"]]).format(**item.get("ctx", {}))
        else:
            message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            parts.append(f"{where}: " + _("unknown field"))
        elif item["type"] == "missing":
            parts.append(f"{where}: " + _("is required"))
        else:  # a hint (`; did you mean 0.50?`) follows the value it is about
            rule, hint = split_hint(message)
            got = _("{rule}, got {value}").format(rule=rule, value=quoted(item.get("input")))
            parts.append(f"{where}: {got}{hint}")
    return "; ".join(parts)


def parse(model: type[BaseModel], **values: Any) -> Any:
    try:
        return model(**values)
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None


class SetFrame(BaseModel):
    """Set or revise a budget frame for an office, scheme and year (admin)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    example: ClassVar[str] = "grants frame set --office innlandet --scheme 765.62 --year 2021 --amount 32000000"

    office: Annotated[str, Shown("OFFICE", _offices)] = Field(
        max_length=60, description="The office: its id (innlandet) or name (Innlandet).")
    scheme: Scheme = Field(description="The grant scheme.")
    year: Year = Field(description="The budget year.")
    amount: Kroner = Field(description="The frame in kroner.")
    reason: Reason | None = Field(default=None, description="Why the frame is set or changed.")


class SetAppropriation(BaseModel):
    """Record or revise the national appropriation (bevilgning) for a scheme and year (admin)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    example: ClassVar[str] = ('grants appropriation set --scheme 765.62 --year 2021 --amount 455000000 '
                              '--reason "Prop. 1 S (2020-2021)"')

    scheme: Scheme = Field(description="The grant scheme.")
    year: Year = Field(description="The budget year.")
    amount: Kroner = Field(description="The appropriation in kroner, e.g. 455000000.")
    reason: Reason | None = Field(default=None, description="Its source or why it changed (e.g. Prop. 1 S).")


class AddUser(BaseModel):
    """Add a user, or change an existing user's role and office (admin)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: Annotated[str, BeforeValidator(text(100)), Shown("NAME")] = Field(description="The user's login name.")
    role: Annotated[str, BeforeValidator(one_of(_roles)), Shown("ROLE", _roles)] = Field(description="The role.")
    office: Annotated[str, Shown("OFFICE", _offices)] | None = Field(
        default=None, max_length=60, description="The caseworker's office: its id or name.")

