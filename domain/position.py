"""The GrantPosition aggregate: one funded position (or project) under one scheme.

Public command methods check the rules and raise a GrantsError, then trigger one event; each
event's `apply` only sets fields, so replaying the events rebuilds exactly the state that was
decided. (Explicit `apply` rather than `@event` methods: eventsourcing defines a second class for
every `@event(Class)` method when the aggregate is built, which a reading command pays at start-up.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from grants.domain import kommuner
from grants.domain.actor import current_actor
from grants.domain.dates import MONTHS, months_through
from grants.domain.errors import GrantsError, InvalidInput, RuleRefused
from grants.domain.event_type import FrozenEvent
from grants.domain.i18n import N_, _
from grants.domain.ids import position_id
from grants.domain.lazy import LazyModule
from grants.domain.money import YearMoney, format_kroner
from grants.domain.status import ACTIVE, APPLIED, REJECTED, TERMINATED

if TYPE_CHECKING:
    from grants.domain import rules
else:  # loaded on the first decision: replaying events for `grants show` never needs the rules
    rules = LazyModule("grants.domain.rules")

CAUSES = ("expired", "wound-down", "withdrawn", "other")
ATTESTATIONS = ("self", "auditor")


def refuse_all(problems: list[GrantsError]) -> None:
    """Raise every problem of one command at once (the most specific exit code wins), or nothing."""
    if problems:
        worst = max(problems, key=lambda p: p.exit_code)
        raise type(worst)("; ".join(str(p) for p in problems))


@dataclass
class FundedYear:
    """One funded year as decided; `segments` are (first month, fte) after any reductions."""

    year: int
    ladder_year: int
    rule_id: str
    rate: int | None
    base: int  # rate per 100 % FTE, or the entered amount at base_fte
    base_fte: Decimal
    granted_amount: int
    amount: int  # after reductions
    segments: list[tuple[int, Decimal]] = field(default_factory=list)
    over_frame: bool = False
    rule_amount: int | None = None  # the rule's amount beside a discretionary one (765.62 skjønn)
    wage_cost: int | None = None  # the year's wage cost as applied for or updated at advance
    kept: list[tuple[int, Decimal]] = field(default_factory=list)  # FTE changes that kept the amount
    reason: str | None = None  # the decision's reason (a discretionary amount or a placement needs one)

    def stretches(self) -> list[tuple[int, int, Decimal]]:
        """(first month, number of months, fte) for each stretch of the year at one FTE."""
        starts = [start for start, _ in self.segments] + [13]
        return [(start, starts[i + 1] - start, fte) for i, (start, fte) in enumerate(self.segments)]

    @staticmethod
    def changed_from(stretches: list[tuple[int, Decimal]], month: int, fte: Decimal) -> list[tuple[int, Decimal]]:
        """(first month, fte) stretches with `fte` from `month` on: an FTE change, which replaces
        any change recorded from that month or later."""
        return [s for s in stretches if s[0] < month] + [(month, fte)]

    @property
    def fte_at_end(self) -> Decimal:
        """The FTE at the end of the year (the read models' `fte`): its latest change, whether it
        rescaled the amount (`segments`) or kept it (`kept`, a team grant)."""
        return max(self.segments + self.kept, key=lambda change: change[0])[1]

    def computation(self) -> rules.Computation:
        pairs = [(months, fte) for _, months, fte in self.stretches()]
        return rules.compute(self.base, self.base_fte, pairs, self.rule_id, self.rate)

    def rule_computation(self) -> rules.Computation | None:
        """The rule's amount after reductions, beside a discretionary amount (None without one)."""
        if self.rule_amount is None or self.rate is None:
            return None
        pairs = [(months, fte) for _, months, fte in self.stretches()]
        return rules.compute(self.rate, Decimal(1), pairs, self.rule_id, self.rate)


@dataclass
class YearReport:
    """One report on a funded year as recorded (a correction is a later YearReport)."""

    year: int
    spent: int
    to_reclaim: int
    fte_filled: Decimal | None
    self_financing: int | None
    attested: str
    received: date
    correction: bool
    entitlement: int = 0  # what the year entitled the kommune to (see rules.entitlement)
    paid: int = 0  # the year's amount when the report was recorded


def nothing_paid(amount: int) -> list[GrantsError]:
    """An entered amount that pays nothing (grant, advance, carry-over): not a decision to record."""
    return [InvalidInput("amount: " + _("must be more than 0, got {amount}").format(amount=amount))]


class GrantPosition(Aggregate):
    TOPIC = "domain.position:GrantPosition"  # a stable name stored with every event; never change it

    # The events derive from the aggregate's own base event here, in the class body: eventsourcing
    # would otherwise define each one a second time as a subclass of it when the class is built
    # (twice the frozen dataclasses, most of the start-up of a command). Same fields, same order,
    # same stored bytes (tests/integration/test_import_equivalence.py, test_schema_stability.py).
    class Event(Aggregate.Event, metaclass=FrozenEvent):
        TOPIC = "domain.position:GrantPosition.Event"  # a base: no event of this class is stored

    class Created(Aggregate.Created, Event):  # the library's base creation event
        TOPIC = "domain.position:GrantPosition.Created"

    """Events carry the actor, the business date (`effective`) and the reason where one is given."""

    class Applied(Aggregate.Created, Event):
        TOPIC = "domain.position:GrantPosition.Applied"
        ref: str
        kommunenummer: str
        office: str
        scheme: str
        title: str
        fte: Decimal
        first_year: int
        received: date
        wage_cost: int | None
        focus: str | None
        partners: list[str]
        actor: str
        effective: date
        reason: str | None
        permanence_plan: str | None = None  # added in version 2: old events decode with the default
        other_costs: int | None = None

    class _Funding(Event):
        TOPIC = "domain.position:GrantPosition._Funding"
        year: int
        ladder_year: int
        fte: Decimal
        rate: int | None
        amount: int
        rule_id: str
        over_frame: bool
        actor: str
        effective: date
        reason: str | None
        rule_amount: int | None = None  # version 2: the rule's amount beside a discretionary amount
        wage_cost: int | None = None  # version 2: the year's wage cost (advance --wage-cost)

    class Granted(_Funding):
        TOPIC = "domain.position:GrantPosition.Granted"

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.status = ACTIVE
            aggregate._fund(self)

    class YearAdvanced(_Funding):
        TOPIC = "domain.position:GrantPosition.YearAdvanced"

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate._fund(self)

    class Rejected(Event):
        TOPIC = "domain.position:GrantPosition.Rejected"
        actor: str
        effective: date
        reason: str

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.status = REJECTED
            aggregate.rejection = self.reason

    class FteReduced(Event):
        TOPIC = "domain.position:GrantPosition.FteReduced"
        year: int
        from_fte: Decimal
        to_fte: Decimal
        new_amount: int
        actor: str
        effective: date
        reason: str | None
        rescaled: bool = True  # version 2: False when a team grant kept its amount
        new_rule_amount: int | None = None  # version 2: the rule's amount after it, beside a discretionary one

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.fte = self.to_fte
            funded = aggregate.years[self.year]
            if self.rescaled:
                funded.segments = FundedYear.changed_from(funded.segments, self.effective.month, self.to_fte)
            else:
                funded.kept = FundedYear.changed_from(funded.kept, self.effective.month, self.to_fte)
            funded.amount = self.new_amount

    class Reported(Event):
        TOPIC = "domain.position:GrantPosition.Reported"
        year: int
        spent: int
        to_reclaim: int
        fte_filled: Decimal | None
        self_financing: int | None
        attested: str
        correction: bool
        actor: str
        effective: date
        reason: str | None
        entitlement: int | None = None  # version 2; older reports: the year's amount then

        def apply(self, aggregate: GrantPosition) -> None:
            paid = aggregate.years[self.year].amount if self.year in aggregate.years else 0
            aggregate.reports.setdefault(self.year, []).append(
                YearReport(self.year, self.spent, self.to_reclaim, self.fte_filled, self.self_financing,
                           self.attested, self.effective, self.correction,
                           paid if self.entitlement is None else self.entitlement, paid))

    class Terminated(Event):
        TOPIC = "domain.position:GrantPosition.Terminated"
        cause: str
        actor: str
        effective: date
        reason: str

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.status = TERMINATED
            aggregate.termination = {"cause": self.cause, "effective": self.effective, "reason": self.reason}

    class CarriedOver(Event):
        TOPIC = "domain.position:GrantPosition.CarriedOver"
        from_year: int
        to_year: int
        amount: int
        actor: str
        effective: date
        reason: str

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.carried_out[self.from_year] = aggregate.carried_out.get(self.from_year, 0) + self.amount
            aggregate.carried_in[self.to_year] = aggregate.carried_in.get(self.to_year, 0) + self.amount

    class KommuneChanged(Event):
        """The position continues under the successor of a kommune code that ceased (a reform)."""

        TOPIC = "domain.position:GrantPosition.KommuneChanged"
        year: int
        from_kommunenummer: str
        to_kommunenummer: str
        actor: str
        effective: date
        reason: str | None

        def apply(self, aggregate: GrantPosition) -> None:
            aggregate.kommunenummer = self.to_kommunenummer
            aggregate.kommune_changes.append((self.year, self.from_kommunenummer, self.to_kommunenummer))

    @staticmethod
    def create_id(ref: str) -> UUID:
        return position_id(ref)

    # --- creation -----------------------------------------------------------------------------

    @classmethod
    def apply_for(cls, *, ref: str, kommune: Any, scheme: str, title: str, fte: Decimal, year: int,
                  received: date, wage_cost: int | None = None, focus: str | None = None,
                  partners: tuple[str, ...] = (), permanence_plan: str | None = None,
                  other_costs: int | None = None) -> GrantPosition:
        """A new application; `kommune` is the reference-data Kommune for the code in `year`."""
        rules_of = rules.scheme(scheme)
        problems: list[GrantsError] = []
        if year < rules_of.first_year:
            problems.append(RuleRefused("year: " + _("{scheme} has no funding before {first}, got {year}").format(
                scheme=scheme, first=rules_of.first_year, year=year)))
        if year > rules_of.last_new_year:
            hint = (_("; new positions go to {scheme}").format(scheme=rules_of.new_scheme_hint)
                    if rules_of.new_scheme_hint else "")
            problems.append(RuleRefused("year: " + _("{scheme} takes no new positions after {last}, got {year}").format(
                scheme=scheme, last=rules_of.last_new_year, year=year) + hint))
        problems += fte_limit_problems(scheme, "fte", fte)
        if other_costs is not None and not rules_of.other_costs:
            problems.append(RuleRefused("other_costs: " + _("{scheme} covers salaries for positions only (årsverk)")
                                        .format(scheme=scheme)))
        refuse_all(problems)
        return cls(ref=ref, kommunenummer=kommune.number, office=kommune.office, scheme=scheme,
                   title=title, fte=fte, first_year=year, received=received, wage_cost=wage_cost,
                   focus=focus, partners=list(partners), actor=current_actor.get(),
                   effective=received, reason=None, permanence_plan=permanence_plan, other_costs=other_costs)

    @event(Applied)
    def __init__(self, ref, kommunenummer, office, scheme, title, fte, first_year, received,
                 wage_cost, focus, partners, actor, effective, reason, permanence_plan=None, other_costs=None):
        self.ref = ref
        self.kommunenummer = kommunenummer
        self.office = office
        self.scheme = scheme
        self.title = title
        self.fte = fte
        self.applied_fte = fte  # fte changes with reductions; a retried apply compares with this
        self.first_year = first_year
        self.received = received
        self.wage_cost = wage_cost
        self.focus = focus
        self.partners = list(partners)
        self.permanence_plan = permanence_plan
        self.other_costs = other_costs
        self.status = APPLIED
        self.years: dict[int, FundedYear] = {}
        self.reports: dict[int, list[YearReport]] = {}
        self.carried_in: dict[int, int] = {}  # year -> unspent money carried into it
        self.carried_out: dict[int, int] = {}  # year -> unspent money carried out of it
        self.kommune_changes: list[tuple[int, str, str]] = []  # (year, from, to)
        self.termination: dict | None = None
        self.rejection: str | None = None

    def same_application(self, **fields: Any) -> bool:
        """True when a retried apply carries the data this position was applied with."""
        fields["applied_fte"] = fields.pop("fte")
        return all(getattr(self, name) == value for name, value in fields.items())

    # --- derived state ------------------------------------------------------------------------

    @property
    def last_year(self) -> int | None:
        return max(self.years) if self.years else None

    @property
    def ladder_year(self) -> int | None:
        last = self.last_year
        return None if last is None else self.years[last].ladder_year

    def _scheme(self) -> rules.Scheme:
        return rules.scheme(self.scheme)

    def money(self, year: int) -> YearMoney | None:
        """The reported year's money as it stands now (carry-overs decided after the report count)."""
        reports = self.reports.get(year)
        if not reports:
            return None
        latest = reports[-1]
        return YearMoney(latest.paid, self.carried_in.get(year, 0), self.carried_out.get(year, 0),
                         latest.entitlement, latest.spent)

    def report_received(self, year: int) -> date | None:
        """When the report that counts for `year` (the latest, a correction included) came in."""
        reports = self.reports.get(year)
        return reports[-1].received if reports else None

    def months_funded(self, year: int) -> int:
        """The months of `year` the position ran: a termination ends it with its month."""
        if self.termination is None:
            return MONTHS
        ends: date = self.termination["effective"]
        if ends.year < year:
            return 0
        return months_through(ends) if ends.year == year else MONTHS

    def entitlement(self, year: int, fte_filled: Decimal | None) -> rules.Entitlement | None:
        """The entitlement of a funded year (None for a year with only carried-in money)."""
        funded = self.years.get(year)
        if funded is None:
            return None
        return rules.entitlement(funded.base, funded.base_fte, funded.segments, self.months_funded(year), fte_filled)

    # --- decisions ----------------------------------------------------------------------------
    # Each public method collects every problem with the command before refusing it (refuse_all),
    # then triggers one event whose `apply` only sets fields.

    def _status_problem(self, allowed: tuple[str, ...], action: str) -> list[GrantsError]:
        if self.status in allowed:
            return []
        return [RuleRefused("status: " + _("{ref} is {status}; {action}").format(
            ref=repr(self.ref), status=_(self.status), action=_(action)))]

    def _date_problems(self, decided: date) -> list[GrantsError]:
        """A decision cannot be dated before the application it decides was received."""
        if decided < self.received:
            return [InvalidInput("decided: " + _("{decided} is before the application was received on {received}")
                                 .format(decided=decided, received=self.received))]
        return []

    def grant(self, *, year: int, decided: date, ladder_year: int | None = None, amount: int | None = None,
              reason: str | None = None, over_frame: bool = False, pre_project: bool = False) -> None:
        problems = self._status_problem((APPLIED,), N_("only an application can be granted"))
        problems += self._date_problems(decided)
        if year != self.first_year:
            problems.append(RuleRefused("year: " + _("{ref} was applied for {first}, not {year}").format(
                ref=repr(self.ref), first=self.first_year, year=year)))
        scheme = self._scheme()
        if pre_project:
            if scheme.pre_project_years < 1:
                problems.append(RuleRefused("pre_project: " + _("{scheme} has no pre-project year").format(
                    scheme=self.scheme)))
            if ladder_year is not None:
                problems.append(RuleRefused("ladder_year: " + _("a pre-project year has no ladder year")))
            ladder_year = 0
        elif ladder_year is not None:
            problems += self._placement_problems(ladder_year, reason)
        else:
            ladder_year = 1
        problems += self._amount_problems(amount, reason)
        refuse_all(problems)
        computation, rule_amount = self._compute(year, ladder_year, amount, self.fte)
        self.trigger_event(self.Granted, year=year, ladder_year=ladder_year, fte=self.fte, rate=computation.rate,
                           amount=computation.amount, rule_id=computation.rule_id, over_frame=over_frame,
                           actor=current_actor.get(), effective=decided, reason=reason, rule_amount=rule_amount,
                           wage_cost=self.wage_cost)

    def _placement_problems(self, ladder_year: int, reason: str | None) -> list[GrantsError]:
        """Placing a position on the ladder (skjønn): ladder schemes, within the ladder, with a reason."""
        scheme, problems = self._scheme(), list[GrantsError]()
        if scheme.basis != "ladder":
            problems.append(RuleRefused("ladder_year: " + _("{scheme} has no ladder").format(scheme=self.scheme)))
        elif not 1 <= ladder_year <= scheme.max_years:
            problems.append(RuleRefused("ladder_year: " + _("must be 1 to {last}, got {ladder_year}").format(
                last=scheme.max_years, ladder_year=ladder_year)))
        if ladder_year > 1 and not reason:
            problems.append(InvalidInput("reason: " + _("is required to place a position on the ladder")))
        return problems

    def advance(self, *, year: int, decided: date, amount: int | None = None, reason: str | None = None,
                over_frame: bool = False, ladder_year: int | None = None, wage_cost: int | None = None,
                kommune: str | None = None) -> None:
        """Fund the next year; after a gap (funding resumes) only with a reason, and then the
        position may be placed on the ladder again. A kommune code that ceased continues under its
        successor (`kommune` names it where the kommune was split)."""
        problems = self._status_problem((ACTIVE,), N_("only an active position can advance"))
        problems += self._date_problems(decided)
        last = self.last_year
        resumes = last is not None and year > last + 1
        if last is not None and (year <= last or (resumes and not reason)):
            hint = _(" (a later year resumes funding after a gap, with a reason)") if resumes else ""
            problems.append(RuleRefused("year: " + _("{ref} can only advance to {next}, got {year}").format(
                ref=repr(self.ref), next=last + 1, year=year) + hint))
        if ladder_year is not None:
            if not resumes:
                problems.append(RuleRefused("ladder_year: " + _(
                    "a position is placed on the ladder at its first grant or when funding resumes after a gap")))
            problems += self._placement_problems(ladder_year, reason)
        problems += self._amount_problems(amount, reason)
        new_kommune, kommune_problems = self._kommune_in(year, kommune)
        problems += kommune_problems
        refuse_all(problems)
        assert last is not None and self.ladder_year is not None  # an active position has a funded year
        scheme = self._scheme()
        rule = rules.rule_for(self.scheme, year)  # a year with no rule is refused before the four-year limit
        if rule.transitional and scheme.transitional_from is not None and scheme.transitional_from not in self.years:
            raise RuleRefused("year: " + _(
                "{year} falls under the transitional rule, which only continues positions funded in {funded_in}")
                .format(year=year, funded_in=scheme.transitional_from))
        if ladder_year is None:
            ladder_year = self.ladder_year + 1
        if ladder_year > scheme.max_years:
            raise RuleRefused("year: " + _(
                "{ref} expired after {years} funded years; {year} would be year {ladder_year}").format(
                ref=repr(self.ref), years=scheme.max_years, year=year, ladder_year=ladder_year))
        computation, rule_amount = self._compute(year, ladder_year, amount, self.fte)
        if scheme.basis == "amount" and self.years[last].ladder_year > 0:
            ceiling = self._step_down_ceiling()
            if computation.amount > ceiling:
                raise RuleRefused("amount: " + _("{amount} exceeds the previous year's {ceiling} (step-down)").format(
                    amount=format_kroner(computation.amount), ceiling=format_kroner(ceiling)))
        if new_kommune != self.kommunenummer:
            self.trigger_event(self.KommuneChanged, year=year, from_kommunenummer=self.kommunenummer,
                               to_kommunenummer=new_kommune, actor=current_actor.get(),
                               effective=date(kommuner.RENUMBERING_YEAR, 1, 1),
                               reason=f"kommune reform {kommuner.reform_date()}: {self.kommunenummer} -> {new_kommune}")
        self.trigger_event(self.YearAdvanced, year=year, ladder_year=ladder_year, fte=self.fte, rate=computation.rate,
                           amount=computation.amount, rule_id=computation.rule_id, over_frame=over_frame,
                           actor=current_actor.get(), effective=decided, reason=reason, rule_amount=rule_amount,
                           wage_cost=wage_cost if wage_cost is not None else self.wage_cost)

    def _kommune_in(self, year: int, given: str | None) -> tuple[str, list[GrantsError]]:
        """The code the position continues under in `year`, and any problem with the one given."""
        candidates = kommuner.continued_in(self.kommunenummer, year)
        if given is not None:
            if given in candidates:
                return given, []
            return self.kommunenummer, [InvalidInput("kommune: " + _(
                "{ref} is in {kommune}; in {year} it continues under {successors}, got {given}").format(
                ref=repr(self.ref), kommune=self.kommunenummer, year=year, successors=either(candidates),
                given=repr(given)))]
        if len(candidates) == 1:
            return candidates[0], []
        old = kommuner.find(self.kommunenummer)
        parts = ", ".join(f"{code} ({kommuner.find(code).name})" for code in candidates)  # type: ignore[union-attr]
        return self.kommunenummer, [InvalidInput("kommune: " + _(
            "{kommune} ({name}) was split on {day} into {parts}; give the kommune the position continues in").format(
            kommune=self.kommunenummer, name=old.name if old else "", day=kommuner.reform_date(), parts=parts))]

    def _amount_problems(self, amount: int | None, reason: str | None) -> list[GrantsError]:
        """An amount is entered on amount-based schemes; on ladder schemes it is computed, and an
        entered amount is a discretionary decision (skjønn) that needs a reason. An amount of 0
        pays nothing: that decision is `reject` (or `terminate`), not a grant."""
        if amount == 0:
            return nothing_paid(amount)
        if self._scheme().basis == "ladder":
            if amount is not None and not reason:
                return [InvalidInput("amount: " + _("a discretionary amount on {scheme} needs a reason (the rule's "
                                                    "amount is kept beside it)").format(scheme=self.scheme))]
            return []
        if amount is None:
            return [InvalidInput("amount: " + _("{scheme} is amount-based: the amount is required").format(
                scheme=self.scheme))]
        return []

    def _compute(self, year: int, ladder_year: int, amount: int | None,
                 fte: Decimal) -> tuple[rules.Computation, int | None]:
        """The year's computation, and the rule's amount when a discretionary amount replaces it."""
        if self._scheme().basis == "ladder":
            by_rule = rules.ladder_amount(self.scheme, year, ladder_year, fte)
            if amount is None:
                return by_rule, None
            decided = rules.compute(amount, fte, [(MONTHS, fte)], by_rule.rule_id, by_rule.rate)
            return decided, by_rule.amount
        assert amount is not None  # required on amount-based schemes (_amount_problems)
        return rules.entered_amount(self.scheme, year, amount, fte), None

    def _step_down_ceiling(self) -> int:
        """The previous year's amount at its latest FTE: a reduction that rescaled the amount steps
        the next year down with it; a team grant that kept its amount is capped by that amount."""
        assert self.last_year is not None
        previous = self.years[self.last_year]
        return rules.compute(previous.base, previous.base_fte, [(12, previous.segments[-1][1])],
                             previous.rule_id, None).amount

    def _fund(self, e: GrantPosition._Funding) -> None:
        """A granted or advanced year. A rate-based amount is rate x FTE; an entered or
        discretionary amount is its own base at its FTE."""
        base, base_fte = (e.rate, Decimal(1)) if e.rate is not None and e.rule_amount is None else (e.amount, e.fte)
        if e.wage_cost is not None:
            self.wage_cost = e.wage_cost
        self.years[e.year] = FundedYear(e.year, e.ladder_year, e.rule_id, e.rate, base, base_fte, e.amount, e.amount,
                                        [(1, e.fte)], e.over_frame, e.rule_amount, e.wage_cost, reason=e.reason)

    def reject(self, *, reason: str, decided: date) -> None:
        problems = self._status_problem((APPLIED,), N_("only an application can be rejected"))
        problems += self._date_problems(decided)
        refuse_all(problems)
        self.trigger_event(self.Rejected, actor=current_actor.get(), effective=decided, reason=reason)

    def reduce_fte(self, *, fte: Decimal, effective: date, reason: str | None = None, rescale: bool = False) -> None:
        """Lower the FTE from the first of a month. The year's amount follows the FTE where the
        scheme says so (765.62) or the caseworker asks (`rescale`); a 765.60 team grant keeps it."""
        problems = self._status_problem((ACTIVE,), N_("only an active position can be reduced"))
        if effective.day != 1:
            problems.append(RuleRefused("effective: " + _(
                "a reduction takes effect on the first day of a month, got {effective}").format(effective=effective)))
        if fte >= self.fte:
            problems.append(RuleRefused("fte: " + _("a reduction must lower the FTE below {fte}, got {given}").format(
                fte=self.fte, given=fte)))
        if self.last_year is not None and effective.year != self.last_year:
            problems.append(RuleRefused("effective: " + _(
                "must fall in the latest funded year {year}, got {effective}").format(
                year=self.last_year, effective=effective)))
        refuse_all(problems)
        funded = self.years[effective.year]
        if effective.month < funded.segments[-1][0]:
            raise RuleRefused("effective: " + _("an earlier reduction took effect in month {month}, got {effective}")
                              .format(month=funded.segments[-1][0], effective=effective))
        rescaled = rescale or self._scheme().fte_change_rescales
        new_amount, new_rule_amount = funded.amount, None
        if rescaled:
            segments = FundedYear.changed_from(funded.segments, effective.month, fte)
            reduced = FundedYear(**{**funded.__dict__, "segments": segments})
            new_amount = reduced.computation().amount
            rule = reduced.rule_computation()
            new_rule_amount = rule.amount if rule is not None else None
        self.trigger_event(self.FteReduced, year=effective.year, from_fte=self.fte, to_fte=fte, new_amount=new_amount,
                           actor=current_actor.get(), effective=effective, reason=reason, rescaled=rescaled,
                           new_rule_amount=new_rule_amount)

    def report(self, *, year: int, spent: int, received: date, fte_filled: Decimal | None = None,
               self_financing: int | None = None, attested: str = "self", correction: bool = False,
               reason: str | None = None) -> None:
        problems: list[GrantsError] = []
        if year not in self.years and year not in self.carried_in:
            funded = ", ".join(map(str, sorted(self.years))) or _("none")
            problems.append(RuleRefused("year: " + _("{ref} was not funded in {year} (funded years: {funded})").format(
                ref=repr(self.ref), year=year, funded=funded)))
        if attested not in ATTESTATIONS:
            problems.append(RuleRefused("attested: " + _("must be one of {choices}, got {given}").format(
                choices=", ".join(ATTESTATIONS), given=repr(attested))))
        if fte_filled is not None:
            problems += fte_limit_problems(self.scheme, "fte_filled", fte_filled)
        already = bool(self.reports.get(year))
        if already and not correction:
            problems.append(RuleRefused("year: " + _(
                "{year} is already reported for {ref}; record a correction").format(year=year, ref=repr(self.ref))))
        if correction and not already and (year in self.years or year in self.carried_in):
            problems.append(RuleRefused("correction: " + _("there is no report for {year} to correct").format(
                year=year)))
        if received < date(year, 1, 1):
            problems.append(InvalidInput("received: " + _(
                "a report on {year} cannot be received before the year began, got {received}").format(
                year=year, received=received)))
        refuse_all(problems)
        entitled = self.entitlement(year, fte_filled)
        paid = self.years[year].amount if year in self.years else 0
        money = YearMoney(paid, self.carried_in.get(year, 0), self.carried_out.get(year, 0),
                          entitled.amount if entitled else 0, spent)
        self.trigger_event(self.Reported, year=year, spent=spent, to_reclaim=money.to_reclaim, fte_filled=fte_filled,
                           self_financing=self_financing, attested=attested, correction=correction,
                           actor=current_actor.get(), effective=received, reason=reason, entitlement=money.entitlement)

    def carry_over(self, *, from_year: int, amount: int, reason: str, decided: date) -> None:
        """Move approved unspent money of a reported year into the next year (overføring av ubrukte
        midler), also past the scheme's last paying year up to its carry-over limit."""
        problems = self._status_problem((ACTIVE, TERMINATED), N_("only a funded position carries money over"))
        problems += self._date_problems(decided)
        to_year = from_year + 1
        if from_year not in self.years and from_year not in self.carried_in:
            problems.append(RuleRefused("from_year: " + _("{ref} has no money in {year}").format(
                ref=repr(self.ref), year=from_year)))
        limit = self._scheme().carry_over_until
        if limit is None or to_year > limit:
            problems.append(RuleRefused("from_year: " + _("{scheme} carries no money into {year}").format(
                scheme=self.scheme, year=to_year) + (_(" (last: {year})").format(year=limit) if limit else "")))
        if amount <= 0:
            problems += nothing_paid(amount)
        money = self.money(from_year)
        if money is None:
            problems.append(RuleRefused("from_year: " + _(
                "{year} has no report; the unspent amount is known from the report").format(year=from_year)))
        elif amount > money.to_reclaim:
            problems.append(RuleRefused("amount: " + _("{amount} exceeds the unspent {unspent} of {year}").format(
                amount=format_kroner(amount), unspent=format_kroner(money.to_reclaim), year=from_year)))
        received = self.report_received(from_year)
        if received is not None and decided < received:  # approved on the report that applies for it
            problems.append(InvalidInput("decided: " + _(
                "{decided} is before the {year} report was received on {received}").format(
                decided=decided, year=from_year, received=received)))
        refuse_all(problems)
        self.trigger_event(self.CarriedOver, from_year=from_year, to_year=to_year, amount=amount,
                           actor=current_actor.get(), effective=decided, reason=reason)

    def terminate(self, *, cause: str, reason: str, effective: date) -> None:
        problems = self._status_problem((APPLIED, ACTIVE), N_("it has already ended"))
        if cause not in CAUSES:
            problems.append(RuleRefused("cause: " + _("must be one of {choices}, got {given}").format(
                choices=", ".join(CAUSES), given=repr(cause))))
        earliest = self.received if self.last_year is None else max(self.received, date(self.last_year, 1, 1))
        if effective < earliest:  # a funded year cannot end before it began, nor anything before it was applied for
            problems.append(InvalidInput("effective: " + _(
                "a termination cannot take effect before {earliest}, got {effective}").format(
                earliest=earliest, effective=effective)))
        refuse_all(problems)
        self.trigger_event(self.Terminated, cause=cause, actor=current_actor.get(), effective=effective, reason=reason)


def fte_limit_problems(scheme_id: str, field_name: str, fte: Decimal) -> list[GrantsError]:
    """An FTE above one position is a team grant, which only some schemes allow (rules.json max_fte)."""
    limit = rules.scheme(scheme_id).max_fte
    if fte > limit:
        return [InvalidInput(f"{field_name}: " + _("{scheme} allows at most {limit} FTE per grant, got {fte}").format(
            scheme=scheme_id, limit=f"{limit.normalize():f}", fte=f"'{fte.normalize():f}'"))]
    return []


def either(choices: list[str] | tuple[str, ...]) -> str:
    """`1508 or 1580`, in the language in use."""
    # Translators: joins alternatives, as in "1508 or 1580"
    return _(" or ").join(choices)
