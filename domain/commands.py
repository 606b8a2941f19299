"""Commands: the one definition of every decision recorded on a grant position.

Each command is a frozen dataclass. The class says what it does: its CLI and import name
(`name`), the GrantPosition method it calls (`method`, with the fields as keyword arguments), the
word for the summary (`done`) and one example. Its fields say what it takes: each field's type
carries a `Kind` (the check that turns a raw value into the field's value, metavar, choices),
its `arg` the help and default. The CLI options and the batch-import columns are generated from
these fields, so adding a command means adding a class here and its method on the aggregate.

Every field has a check; `parse` runs them and turns every violation into one line naming each
field and value. A batch import runs the very same checks through pydantic, one adapter over all
the lines of a command (`Kind.__get_pydantic_core_schema__`); one decision on the command line
does not import pydantic, a third of its start-up time (issue 14; docs/performance.md).
Docstrings and descriptions are English; the CLI shows them translated when another language is
chosen (grants.cli.language; docs/i18n.md), so they need no marking here.
"""

# No `from __future__ import annotations`: `fields_of` reads each field's Kind from its type,
# which must be the Annotated object, not its text.
import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Self, TypeVar, get_args

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
# Flags as people write them, and as Excel in Norwegian saves TRUE and FALSE (SANN, USANN).
TRUE, FALSE = ("true", "yes", "1", "ja", "sann"), ("false", "no", "0", "nei", "usann")
MAX_PARTNERS = 20
T = TypeVar("T")


def per_form(function: Callable[[Any], T]) -> Callable[[Any], T]:
    """functools.cache for a function of a form's class. Typed on Any: mypy takes a dataclass's
    class for an instance when it checks that a cached function's argument is hashable."""
    return cache(function)


@dataclass(frozen=True)
class Kind:
    """What a field takes and how it is shown: the check (a raw value -> the field's value, or
    ValueError saying the rule), metavar, choices (from data, read lazily), the option's name
    when it is not the field's (--partner), whether it is a flag or may be given several times,
    and for an optional date the rule that fills it when left out (see domain/dates.py)."""

    check: Callable[..., Any]
    metavar: str
    choices: Callable[[], Sequence[str]] | None = None
    option: str | None = None
    default_date: Callable[..., date] | None = None
    not_after_today: bool = False  # a date something was received: never in the future
    flag: bool = False
    multiple: bool = False
    uses_earlier: bool = False  # the check also takes the fields before it (name -> value; defaults included)

    def checked(self, raw: object, earlier: dict[str, Any]) -> Any:
        return self.check(raw, earlier) if self.uses_earlier else self.check(raw)

    def __get_pydantic_core_schema__(self, _source: Any, _handler: Any) -> Any:
        """For pydantic (a batch import's adapter): the field is this check and nothing else, so a
        line validated in bulk is exactly what `parse` makes of it."""
        from pydantic_core import core_schema

        if self.uses_earlier:
            return core_schema.with_info_plain_validator_function(lambda raw, info: self.check(raw, info.data))
        return core_schema.no_info_plain_validator_function(self.check)


class BadItems(ValueError):
    """Items of a list are wrong: each message repeats its item, not the whole list."""

    def __init__(self, problems: list[tuple[str, object]]):
        super().__init__("; ".join(message for message, _item in problems))
        self.problems = problems


DATE_RULE = N_("must be an ISO date such as 2024-03-01")


def _date(raw: object) -> date:
    if type(raw) is date:  # not a datetime, which is a date too
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


def whole_number(low: int, high: int) -> Callable[[object], int]:
    """A whole number from `low` to `high`, from an int or its digits; 3.0 (a spreadsheet's
    number, JSON's float) is 3. true is not 1."""

    def check(raw: object) -> int:
        value = raw.strip() if isinstance(raw, str) else raw
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+(\.0*)?", value, re.ASCII):
            value = int(value.partition(".")[0])
        elif type(value) is float and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(_("must be a whole number"))
        if value < low:
            raise ValueError(_("must be at least {ge}").format(ge=low))
        if value > high:
            raise ValueError(_("must be at most {le}").format(le=high))
        return value

    return check


def flag(raw: object) -> bool:
    """A flag: given on the command line, a JSON boolean or 0 or 1, or one of the words in TRUE
    and FALSE."""
    if isinstance(raw, bool):
        return raw
    if type(raw) in (int, float) and raw in (0, 1):
        return bool(raw)
    lowered = raw.strip().lower() if isinstance(raw, str) else None
    if lowered in TRUE or lowered in FALSE:
        return lowered in TRUE
    raise ValueError(_("must be true or false"))


def _partners(raw: object) -> tuple[str, ...]:
    """A list of at most MAX_PARTNERS partners, each a name (`_partner`); every bad one is named."""
    if not isinstance(raw, (list, tuple)):
        raise ValueError(_("must be a list"))
    checked, problems = [], []
    for item in raw:
        try:
            checked.append(_partner(item))
        except ValueError as error:
            problems.append((str(error), item))
    if problems:
        raise BadItems(problems)
    if len(raw) > MAX_PARTNERS:
        raise ValueError(_("must have at most {max_length} items").format(max_length=MAX_PARTNERS))
    return tuple(checked)


_office = text(60)  # an office's id or name, resolved by grants.domain.kommuner.office_id


def _office_or_none(raw: object) -> str | None:
    """A user's office, which only a caseworker needs: left empty, none (as when not given)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return _office(raw)


def _fte_of_scheme(raw: object, earlier: dict[str, Any]) -> Decimal:
    """An application's FTE: once its scheme is known (checked before the FTE), within that
    scheme's own limit, 1 but for team grants."""
    scheme_id = earlier.get("scheme")
    if scheme_id is not None:
        parse_fte(raw, rules.scheme(scheme_id).max_fte)
    return _fte(raw)


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


Ref = Annotated[str, Kind(check_ref, "REF")]
Year = Annotated[int, Kind(parse_year, "YEAR")]
Fte = Annotated[Decimal, Kind(_fte, "FTE")]
FteOfScheme = Annotated[Decimal, Kind(_fte_of_scheme, "FTE", uses_earlier=True)]
FteFilled = Annotated[Decimal, Kind(_fte_filled, "FTE")]
Kroner = Annotated[int, Kind(parse_kroner, "NOK")]
Day = Annotated[date, Kind(_date, "YYYY-MM-DD")]
Title = Annotated[str, Kind(text(200), "TEXT")]
Reason = Annotated[str, Kind(text(500), "TEXT")]
Partners = Annotated[tuple[str, ...], Kind(_partners, "TEXT", option="partner", multiple=True)]
Plan = Annotated[str, Kind(text(2000), "TEXT")]
Kommunenummer = Annotated[str, Kind(_kommune, "KOMMUNE")]
Scheme = Annotated[str, Kind(_scheme, "SCHEME", _scheme_ids)]
Cause = Annotated[str, Kind(one_of(_causes), "CAUSE", _causes)]
Attestation = Annotated[str, Kind(one_of(_attestations), "WHO", _attestations)]
LadderYear = Annotated[int, Kind(whole_number(1, 9), "N")]
Flag = Annotated[bool, Kind(flag, "", flag=True)]
Office = Annotated[str, Kind(_office, "OFFICE", _offices)]


def arg(*, about: str, default: Any = dataclasses.MISSING) -> Any:
    """A field's help (the CLI shows it) and its default; without a default the field is required."""
    return field(default=default, metadata={"about": about})


@dataclass(frozen=True, kw_only=True)
class Form:
    """Values for one write, each field checked by its Kind (`parse`), frozen once made."""

    # For pydantic, as for `parse`: a field the form does not have is an error, not ignored.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass(frozen=True, kw_only=True)
class Command(Form):
    """A decision on one grant position, identified by its case reference."""

    name: ClassVar[str]  # the CLI command and the import file's `command` column
    method: ClassVar[str]  # the GrantPosition method that decides it
    done: ClassVar[str]  # past tense, for the summary line (marked N_, translated where shown)
    example: ClassVar[str]

    ref: Ref = arg(about="The case reference, e.g. 2021/4711-3.")

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the aggregate method: every field but the ref (a dataclass
        keeps its fields, and only those, in its __dict__, in their order: read at once per line
        of a batch import, not by one getattr each)."""
        given = dict(self.__dict__)
        del given["ref"]
        return given

    def touched_year(self) -> int | None:
        """The funded year this command is about, for the summary line."""
        return getattr(self, "year", None)

    def with_dates(self, position: Any, today: Callable[[], date]) -> Self:
        """A copy with every left-out date filled by its field's rule (domain/dates.py); a date
        something was received cannot lie after today. `today` is the edge's clock, asked only
        when a date needs it: a decision whose dates are all given reads no time zone."""
        filled: dict[str, Any] = {}
        problems = []
        for spec in dated_fields(type(self)):
            kind = spec.kind
            if kind.default_date and getattr(self, spec.name) is None:
                filled[spec.name] = kind.default_date(self, position, today())
            value = filled.get(spec.name, getattr(self, spec.name))
            if kind.not_after_today and isinstance(value, date) and value > today():
                problems.append(f"{spec.name}: " + _("{day} is after today ({today})").format(day=value, today=today()))
        if problems:
            raise InvalidInput("; ".join(problems))
        return dataclasses.replace(self, **filled) if filled else self


# Optional dates that their rule fills when left out (Command.with_dates, domain/dates.py).
ReceivedApplication = Annotated[date, Kind(_date, "YYYY-MM-DD", default_date=dates.application_received,
                                           not_after_today=True)] | None
DecidedOn = Annotated[date, Kind(_date, "YYYY-MM-DD", default_date=dates.decision_date)] | None
CarryOverDecided = Annotated[date, Kind(_date, "YYYY-MM-DD", default_date=dates.carry_over_date)] | None
ReportReceived = Annotated[date, Kind(_date, "YYYY-MM-DD", default_date=dates.report_received,
                                      not_after_today=True)] | None
EndsOn = Annotated[date, Kind(_date, "YYYY-MM-DD", default_date=dates.termination_date)] | None


@dataclass(frozen=True, kw_only=True)
class Apply(Command):
    """Record an application for a position (idempotent by REF: a retry with the same data changes nothing)."""

    name = "apply"
    method = "apply_for"
    done = N_("applied")
    example = ('grants apply 2021/4711-3 --kommune 3401 --scheme 765.62 --title "Ruskonsulent" '
               "--fte 1 --year 2021 --received 2021-02-01")

    kommune: Kommunenummer = arg(about="The applicant kommune: its number (3401) or name (Kongsvinger).")
    scheme: Scheme = arg(about="The grant scheme.")
    title: Title = arg(about="The position's title, e.g. Ruskonsulent.")
    fte: FteOfScheme = arg(about="Share of a full-time position, 0.01 to 1 (e.g. 0.5); a 765.60 team "
                                 "grant may cover more (e.g. 3.5).")
    year: Year = arg(about="The first year applied for.")
    received: ReceivedApplication = arg(
        default=None, about="Date the application was received (default: today; for a past year, "
                            "that year's application deadline).")
    wage_cost: Kroner | None = arg(default=None, about="Yearly wage cost of the position in kroner.")
    focus: Title | None = arg(default=None, about="Focus area (innsatsområde).")
    partners: Partners = arg(default=(), about="A cooperating partner (repeat for several).")
    permanence_plan: Plan | None = arg(
        default=None, about="How the kommune makes the position permanent (plan for varighet; "
                            "expected on 765.62).")
    other_costs: Kroner | None = arg(
        default=None, about="Yearly costs other than salaries in kroner (schemes that cover them: "
                            "765.60, 765.62-new).")


@dataclass(frozen=True, kw_only=True)
class Grant(Command):
    """Grant the first year of an application; ladder schemes compute the amount."""

    name = "grant"
    method = "grant"
    done = N_("granted")
    example = "grants grant 2021/4711-3 --year 2021 --decided 2021-03-15"

    year: Year = arg(about="The year granted (the year applied for).")
    ladder_year: LadderYear | None = arg(
        default=None, about="Place the position on ladder year N (positions funded before; needs --reason).")
    amount: Kroner | None = arg(default=None, about="The amount in kroner (amount-based schemes; on "
                                                    "765.62 a discretionary amount, with --reason).")
    decided: DecidedOn = arg(default=None, about="Decision date (default: today; for a past year, "
                                                 "1 January of it or the date received, if later).")
    reason: Reason | None = arg(default=None, about="Why, for a ladder placement, a discretionary amount "
                                                    "or a grant over the frame.")
    over_frame: Flag = arg(default=False, about="Grant beyond the office's budget frame (needs --reason).")
    pre_project: Flag = arg(default=False, about="765.60: the first year is a pre-project year.")


@dataclass(frozen=True, kw_only=True)
class Reject(Command):
    """Reject an application."""

    name = "reject"
    method = "reject"
    done = N_("rejected")
    example = 'grants reject 2021/4711-3 --reason "outside the scheme" --decided 2021-03-15'

    reason: Reason = arg(about="Why the application is rejected.")
    decided: DecidedOn = arg(default=None, about="Decision date (default: today; for a past year, "
                                                 "1 January of it or the date received, if later).")


@dataclass(frozen=True, kw_only=True)
class Advance(Command):
    """Fund the next calendar year of an active position."""

    name = "advance"
    method = "advance"
    done = N_("advanced")
    example = "grants advance 2021/4711-3 --year 2022"

    year: Year = arg(about="The next calendar year (a later year resumes funding after a gap; "
                           "needs --reason).")
    amount: Kroner | None = arg(default=None, about="The amount in kroner (amount-based schemes; on "
                                                    "765.62 a discretionary amount, with --reason).")
    decided: DecidedOn = arg(default=None, about="Decision date (default: today; for a past year, "
                                                 "1 January of it).")
    reason: Reason | None = arg(default=None, about="Why, for a discretionary amount, resumed funding, "
                                                    "a ladder placement or a grant over the frame.")
    over_frame: Flag = arg(default=False, about="Fund beyond the office's budget frame (needs --reason).")
    ladder_year: LadderYear | None = arg(
        default=None, about="Place the position on ladder year N when funding resumes after a gap "
                            "(needs --reason).")
    wage_cost: Kroner | None = arg(default=None, about="The year's wage cost in kroner (updates the "
                                                       "one applied with).")
    kommune: Kommunenummer | None = arg(
        default=None, about="The kommune the position continues in after a kommune reform, where the "
                            "old kommune was split (1507 -> 1508 or 1580).")


@dataclass(frozen=True, kw_only=True)
class ReduceFte(Command):
    """Lower a position's FTE from the first day of a month; that year's amount is pro rata."""

    name = "reduce-fte"
    method = "reduce_fte"
    done = N_("reduced")
    example = 'grants reduce-fte 2021/4711-3 --fte 0.5 --effective 2022-07-01 --reason "vacancy"'

    fte: Fte = arg(about="The new, lower share of a full-time position.")
    effective: Day = arg(about="First day of the month it takes effect, YYYY-MM-01.")
    reason: Reason | None = arg(default=None, about="Why the FTE is reduced.")
    rescale: Flag = arg(default=False, about="Rescale the year's amount to the new FTE where the scheme "
                                             "keeps it by default (765.60 team grants).")

    def touched_year(self) -> int | None:
        return self.effective.year


@dataclass(frozen=True, kw_only=True)
class Report(Command):
    """Record the report for a funded year; to reclaim = paid - min(spent, entitlement)."""

    name = "report"
    method = "report"
    done = N_("reported")
    example = "grants report 2021/4711-3 --year 2022 --spent 400000 --self-financing 120000 --received 2023-01-20"

    year: Year = arg(about="The funded year reported on.")
    spent: Kroner = arg(about="Kroner of the grant spent in the year.")
    fte_filled: FteFilled | None = arg(default=None, about="Average FTE actually filled over the funded "
                                                           "months; scales the entitlement by it / FTE.")
    self_financing: Kroner | None = arg(default=None, about="Kroner the kommune financed itself.")
    attested: Attestation = arg(default="self", about="Who attested the accounts.")
    received: ReportReceived = arg(default=None, about="Date the report was received (default: today; "
                                                       "for a year before last year, its report deadline).")
    correction: Flag = arg(default=False,
                           about="Replace the year's earlier report (a new event, never an edit).")
    reason: Reason | None = arg(default=None, about="Why, for a correction.")


@dataclass(frozen=True, kw_only=True)
class Terminate(Command):
    """End a position; reports for its funded years are still accepted."""

    name = "terminate"
    method = "terminate"
    done = N_("terminated")
    example = ('grants terminate 2021/4711-3 --cause wound-down --reason "transitional rule ended" '
               "--effective 2024-12-31")

    cause: Cause = arg(about="Why the position ends.")
    reason: Reason = arg(about="The decision in words.")
    effective: EndsOn = arg(default=None, about="Last day of the position (default: today; if its last "
                                                "funded year is past, 31 December of that year).")

    def touched_year(self) -> int | None:
        return self.effective.year if self.effective else None


@dataclass(frozen=True, kw_only=True)
class CarryOver(Command):
    """Carry approved unspent money into the next year (overføring av ubrukte midler), from a reported year."""

    name = "carry-over"
    method = "carry_over"
    done = N_("carried over")
    example = 'grants carry-over 2025/118-2 --from-year 2025 --amount 120000 --reason "approved on application"'

    from_year: Year = arg(about="The reported year whose unspent money is carried into the next year.")
    amount: Kroner = arg(about="Kroner carried over (at most the year's unspent amount).")
    reason: Reason = arg(about="The approval in words.")
    decided: CarryOverDecided = arg(default=None, about="Decision date (default: today; for a past "
                                                        "year, 1 January of the year carried into, or "
                                                        "the day the report was received, if later).")

    def touched_year(self) -> int | None:
        return self.from_year + 1


COMMANDS: dict[str, type[Command]] = {model.name: model for model in Command.__subclasses__()}


@dataclass(frozen=True)
class Spec:
    """One field of a form, as the CLI, the import and `parse` read it."""

    name: str
    kind: Kind
    about: str
    optional: bool  # None is a value: the default of a field that may be left out
    default: Any  # dataclasses.MISSING when the field is required

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING


@per_form
def fields_of(model: type[Form]) -> tuple[Spec, ...]:
    """The form's fields in their order, each with its Kind (inside `X | None` and Annotated)."""
    return tuple(Spec(item.name, _kind_in(item.type), item.metadata["about"], type(None) in get_args(item.type),
                      item.default) for item in dataclasses.fields(model))


def _kind_in(annotation: Any) -> Kind:
    """The Kind of a field: in its Annotated type, itself maybe inside `X | None`."""
    for item in getattr(annotation, "__metadata__", ()):
        if isinstance(item, Kind):
            return item
    for inner in get_args(annotation):
        if hasattr(inner, "__metadata__"):
            return _kind_in(inner)
    raise TypeError(f"no Kind in {annotation}")  # a field without a check: a mistake in this module


@per_form
def dated_fields(model: type[Command]) -> tuple[Spec, ...]:
    """Every date field with a default rule or a not-after-today limit."""
    return tuple(spec for spec in fields_of(model) if spec.kind.default_date or spec.kind.not_after_today)


def problem(name: str, error: ValueError, raw: object) -> str:
    """`field: rule, got 'value'`, a hint (`; did you mean 0.50?`) after the value it is about;
    for a list, one such part per bad item."""
    if isinstance(error, BadItems):
        return "; ".join(problem(name, ValueError(message), item) for message, item in error.problems)
    rule, hint = split_hint(str(error))
    return f"{name}: " + _("{rule}, got {value}").format(rule=rule, value=quoted(raw)) + hint


def parse(model: type[Form], **values: Any) -> Any:
    """The form made from raw values, every field checked in its order; all violations in one line."""
    checked: dict[str, Any] = {}
    problems = []
    for spec in fields_of(model):
        if spec.name not in values:
            if spec.required:
                problems.append(f"{spec.name}: " + _("is required"))
            else:  # a later check sees the default, as under pydantic (Kind.uses_earlier)
                checked[spec.name] = spec.default
            continue
        raw = values.pop(spec.name)
        if raw is None and spec.optional:
            checked[spec.name] = None
            continue
        try:
            checked[spec.name] = spec.kind.checked(raw, checked)
        except ValueError as error:
            problems.append(problem(spec.name, error, raw))
    problems += [f"{name}: " + _("unknown field") for name in values]
    if problems:
        raise InvalidInput("; ".join(problems))
    return model(**checked)


@dataclass(frozen=True, kw_only=True)
class SetFrame(Form):
    """Set or revise a budget frame for an office, scheme and year (admin)."""

    example: ClassVar[str] = "grants frame set --office innlandet --scheme 765.62 --year 2021 --amount 32000000"

    office: Office = arg(about="The office: its id (innlandet) or name (Innlandet).")
    scheme: Scheme = arg(about="The grant scheme.")
    year: Year = arg(about="The budget year.")
    amount: Kroner = arg(about="The frame in kroner.")
    reason: Reason | None = arg(default=None, about="Why the frame is set or changed.")


@dataclass(frozen=True, kw_only=True)
class SetAppropriation(Form):
    """Record or revise the national appropriation (bevilgning) for a scheme and year (admin)."""

    example: ClassVar[str] = ('grants appropriation set --scheme 765.62 --year 2021 --amount 455000000 '
                              '--reason "Prop. 1 S (2020-2021)"')

    scheme: Scheme = arg(about="The grant scheme.")
    year: Year = arg(about="The budget year.")
    amount: Kroner = arg(about="The appropriation in kroner, e.g. 455000000.")
    reason: Reason | None = arg(default=None, about="Its source or why it changed (e.g. Prop. 1 S).")


@dataclass(frozen=True, kw_only=True)
class AddUser(Form):
    """Add a user, or change an existing user's role and office (admin)."""

    name: Annotated[str, Kind(text(100), "NAME")] = arg(about="The user's login name.")
    role: Annotated[str, Kind(one_of(_roles), "ROLE", _roles)] = arg(about="The role.")
    office: Annotated[str | None, Kind(_office_or_none, "OFFICE", _offices)] = arg(
        default=None, about="The caseworker's office: its id or name.")
