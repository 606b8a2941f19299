"""The GrantPosition aggregate: one funded position (or project) under one scheme.

Public command methods check the rules and raise a GrantsError; private @event methods only set
fields, so replaying the events rebuilds exactly the state that was decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from grants.domain import rules
from grants.domain.actor import current_actor
from grants.domain.errors import GrantsError, InvalidInput, RuleRefused
from grants.domain.money import format_kroner

# Fixed namespace: the id of a position is uuid5(namespace, case reference), so a retried
# apply finds the position it created instead of creating a second one.
POSITION_NAMESPACE = UUID("6f1c1f62-5f0e-4c4b-9a55-765062000000")

APPLIED, ACTIVE, REJECTED, TERMINATED = "applied", "active", "rejected", "terminated"  # statuses
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

    def stretches(self) -> list[tuple[int, int, Decimal]]:
        """(first month, number of months, fte) for each stretch of the year at one FTE."""
        starts = [start for start, _ in self.segments] + [13]
        return [(start, starts[i + 1] - start, fte) for i, (start, fte) in enumerate(self.segments)]

    def computation(self) -> rules.Computation:
        pairs = [(months, fte) for _, months, fte in self.stretches()]
        return rules.compute(self.base, self.base_fte, pairs, self.rule_id, self.rate)


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


class GrantPosition(Aggregate):
    TOPIC = "domain.position:GrantPosition"  # a stable name stored with every event; never change it

    class Created(Aggregate.Created):  # the library's base creation event
        TOPIC = "domain.position:GrantPosition.Created"

    """Events carry the actor, the business date (`effective`) and the reason where one is given."""

    class Applied(Aggregate.Created):
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

    class _Funding(Aggregate.Event):
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

    class Granted(_Funding):
        TOPIC = "domain.position:GrantPosition.Granted"
        pass

    class YearAdvanced(_Funding):
        TOPIC = "domain.position:GrantPosition.YearAdvanced"
        pass

    class Rejected(Aggregate.Event):
        TOPIC = "domain.position:GrantPosition.Rejected"
        actor: str
        effective: date
        reason: str

    class FteReduced(Aggregate.Event):
        TOPIC = "domain.position:GrantPosition.FteReduced"
        year: int
        from_fte: Decimal
        to_fte: Decimal
        new_amount: int
        actor: str
        effective: date
        reason: str | None

    class Reported(Aggregate.Event):
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

    class Terminated(Aggregate.Event):
        TOPIC = "domain.position:GrantPosition.Terminated"
        cause: str
        actor: str
        effective: date
        reason: str

    @staticmethod
    def create_id(ref: str) -> UUID:
        return uuid5(POSITION_NAMESPACE, ref)

    # --- creation -----------------------------------------------------------------------------

    @classmethod
    def apply_for(cls, *, ref: str, kommune: Any, scheme: str, title: str, fte: Decimal, year: int,
                  received: date, wage_cost: int | None = None, focus: str | None = None,
                  partners: tuple[str, ...] = ()) -> GrantPosition:
        """A new application; `kommune` is the reference-data Kommune for the code in `year`."""
        rules_of = rules.scheme(scheme)
        problems: list[GrantsError] = []
        if year < rules_of.first_year:
            problems.append(RuleRefused(f"year: {scheme} has no funding before {rules_of.first_year}, got {year}"))
        if year > rules_of.last_new_year:
            hint = f"; new positions go to {rules_of.new_scheme_hint}" if rules_of.new_scheme_hint else ""
            problems.append(RuleRefused(
                f"year: {scheme} takes no new positions after {rules_of.last_new_year}, got {year}{hint}"))
        refuse_all(problems)
        return cls(ref=ref, kommunenummer=kommune.number, office=kommune.office, scheme=scheme,
                   title=title, fte=fte, first_year=year, received=received, wage_cost=wage_cost,
                   focus=focus, partners=list(partners), actor=current_actor.get(),
                   effective=received, reason=None)

    @event(Applied)
    def __init__(self, ref, kommunenummer, office, scheme, title, fte, first_year, received,
                 wage_cost, focus, partners, actor, effective, reason):
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
        self.status = APPLIED
        self.years: dict[int, FundedYear] = {}
        self.reports: dict[int, list[YearReport]] = {}
        self.termination: dict | None = None
        self.rejection: str | None = None

    def same_application(self, **fields) -> bool:
        """True when a retried apply carries the data this position was applied with."""
        fields["applied_fte"] = fields.pop("fte")
        return all(getattr(self, name) == value for name, value in fields.items())

    # --- derived state ------------------------------------------------------------------------

    @property
    def last_year(self) -> int | None:
        return max(self.years) if self.years else None

    @property
    def ladder_year(self) -> int | None:
        return self.years[self.last_year].ladder_year if self.years else None

    def _scheme(self) -> rules.Scheme:
        return rules.scheme(self.scheme)

    # --- decisions ----------------------------------------------------------------------------
    # Each public method collects every problem with the command before refusing it (refuse_all),
    # then records one event through a private @event method that only sets fields.

    def _status_problem(self, allowed: tuple[str, ...], action: str) -> list[GrantsError]:
        if self.status in allowed:
            return []
        return [RuleRefused(f"status: {self.ref!r} is {self.status}; {action}")]

    def grant(self, *, year: int, decided: date, ladder_year: int | None = None, amount: int | None = None,
              reason: str | None = None, over_frame: bool = False, pre_project: bool = False) -> None:
        problems = self._status_problem((APPLIED,), "only an application can be granted")
        if year != self.first_year:
            problems.append(RuleRefused(f"year: {self.ref!r} was applied for {self.first_year}, not {year}"))
        scheme = self._scheme()
        if pre_project:
            if scheme.pre_project_years < 1:
                problems.append(RuleRefused(f"pre_project: {self.scheme} has no pre-project year"))
            if ladder_year is not None:
                problems.append(RuleRefused("ladder_year: a pre-project year has no ladder year"))
            ladder_year = 0
        elif ladder_year is not None:
            if scheme.basis != "ladder":
                problems.append(RuleRefused(f"ladder_year: {self.scheme} has no ladder"))
            elif not 1 <= ladder_year <= scheme.max_years:
                problems.append(RuleRefused(f"ladder_year: must be 1 to {scheme.max_years}, got {ladder_year}"))
            if ladder_year > 1 and not reason:
                problems.append(InvalidInput("reason: is required to place a position on the ladder"))
        else:
            ladder_year = 1
        problems += self._amount_problems(amount)
        refuse_all(problems)
        computation = self._compute(year, ladder_year, amount, self.fte)
        self._granted(year=year, ladder_year=ladder_year, fte=self.fte, rate=computation.rate,
                      amount=computation.amount, rule_id=computation.rule_id, over_frame=over_frame,
                      actor=current_actor.get(), effective=decided, reason=reason)

    def advance(self, *, year: int, decided: date, amount: int | None = None, reason: str | None = None,
                over_frame: bool = False) -> None:
        problems = self._status_problem((ACTIVE,), "only an active position can advance")
        last = self.last_year
        if last is not None and year != last + 1:
            problems.append(RuleRefused(f"year: {self.ref!r} can only advance to {last + 1}, got {year}"))
        problems += self._amount_problems(amount)
        refuse_all(problems)
        assert last is not None and self.ladder_year is not None  # an active position has a funded year
        scheme = self._scheme()
        ladder_year = self.ladder_year + 1
        rules.rule_for(self.scheme, year)  # a year with no rule is refused before the four-year limit
        if ladder_year > scheme.max_years:
            raise RuleRefused(
                f"year: {self.ref!r} expired after {scheme.max_years} funded years; {year} would be year {ladder_year}")
        computation = self._compute(year, ladder_year, amount, self.fte)
        if scheme.basis == "amount" and self.years[last].ladder_year > 0:
            ceiling = self._step_down_ceiling()
            if computation.amount > ceiling:
                raise RuleRefused(
                    f"amount: {format_kroner(computation.amount)} exceeds the previous year's "
                    f"{format_kroner(ceiling)} (step-down)")
        self._advanced(year=year, ladder_year=ladder_year, fte=self.fte, rate=computation.rate,
                       amount=computation.amount, rule_id=computation.rule_id, over_frame=over_frame,
                       actor=current_actor.get(), effective=decided, reason=reason)

    def _amount_problems(self, amount: int | None) -> list[GrantsError]:
        """An amount is entered on amount-based schemes and computed on the others."""
        if self._scheme().basis == "ladder":
            if amount is not None:
                return [InvalidInput(f"amount: {self.scheme} computes the amount from its rate table; "
                                     "leave the amount out")]
            return []
        if amount is None:
            return [InvalidInput(f"amount: {self.scheme} is amount-based: the amount is required")]
        return []

    def _compute(self, year: int, ladder_year: int, amount: int | None, fte: Decimal) -> rules.Computation:
        if amount is None:
            return rules.ladder_amount(self.scheme, year, ladder_year, fte)
        return rules.entered_amount(self.scheme, year, amount, fte)

    def _step_down_ceiling(self) -> int:
        """The previous year's amount at today's FTE (a reduced position steps down with its FTE)."""
        assert self.last_year is not None
        previous = self.years[self.last_year]
        return rules.compute(previous.base, previous.base_fte, [(12, self.fte)], previous.rule_id, None).amount

    @event(Granted)
    def _granted(self, year, ladder_year, fte, rate, amount, rule_id, over_frame, actor, effective, reason):
        self.status = ACTIVE
        self._fund(year, ladder_year, fte, rate, amount, rule_id, over_frame)

    @event(YearAdvanced)
    def _advanced(self, year, ladder_year, fte, rate, amount, rule_id, over_frame, actor, effective, reason):
        self._fund(year, ladder_year, fte, rate, amount, rule_id, over_frame)

    def _fund(self, year, ladder_year, fte, rate, amount, rule_id, over_frame):
        base, base_fte = (rate, Decimal(1)) if rate is not None else (amount, fte)
        self.years[year] = FundedYear(year, ladder_year, rule_id, rate, base, base_fte, amount, amount,
                                      [(1, fte)], over_frame)

    def reject(self, *, reason: str, decided: date) -> None:
        refuse_all(self._status_problem((APPLIED,), "only an application can be rejected"))
        self._rejected(actor=current_actor.get(), effective=decided, reason=reason)

    @event(Rejected)
    def _rejected(self, actor, effective, reason):
        self.status = REJECTED
        self.rejection = reason

    def reduce_fte(self, *, fte: Decimal, effective: date, reason: str | None = None) -> None:
        problems = self._status_problem((ACTIVE,), "only an active position can be reduced")
        if effective.day != 1:
            problems.append(RuleRefused(f"effective: a reduction takes effect on the first day of a month, got {effective}"))
        if fte >= self.fte:
            problems.append(RuleRefused(f"fte: a reduction must lower the FTE below {self.fte}, got {fte}"))
        if self.last_year is not None and effective.year != self.last_year:
            problems.append(RuleRefused(
                f"effective: must fall in the latest funded year {self.last_year}, got {effective}"))
        refuse_all(problems)
        funded = self.years[effective.year]
        if effective.month < funded.segments[-1][0]:
            raise RuleRefused(
                f"effective: an earlier reduction took effect in month {funded.segments[-1][0]}, got {effective}")
        segments = [s for s in funded.segments if s[0] < effective.month] + [(effective.month, fte)]
        probe = FundedYear(**{**funded.__dict__, "segments": segments})
        self._fte_reduced(year=effective.year, from_fte=self.fte, to_fte=fte,
                          new_amount=probe.computation().amount, actor=current_actor.get(),
                          effective=effective, reason=reason)

    @event(FteReduced)
    def _fte_reduced(self, year, from_fte, to_fte, new_amount, actor, effective, reason):
        self.fte = to_fte
        funded = self.years[year]
        funded.segments = [s for s in funded.segments if s[0] < effective.month] + [(effective.month, to_fte)]
        funded.amount = new_amount

    def report(self, *, year: int, spent: int, received: date, fte_filled: Decimal | None = None,
               self_financing: int | None = None, attested: str = "self", correction: bool = False,
               reason: str | None = None) -> None:
        problems: list[GrantsError] = []
        if year not in self.years:
            funded = ", ".join(map(str, sorted(self.years))) or "none"
            problems.append(RuleRefused(f"year: {self.ref!r} was not funded in {year} (funded years: {funded})"))
        if attested not in ATTESTATIONS:
            problems.append(RuleRefused(f"attested: must be one of {', '.join(ATTESTATIONS)}, got {attested!r}"))
        already = bool(self.reports.get(year))
        if already and not correction:
            problems.append(RuleRefused(f"year: {year} is already reported for {self.ref!r}; record a correction"))
        if correction and not already and year in self.years:
            problems.append(RuleRefused(f"correction: there is no report for {year} to correct"))
        refuse_all(problems)
        to_reclaim = max(self.years[year].amount - spent, 0)
        self._reported(year=year, spent=spent, to_reclaim=to_reclaim, fte_filled=fte_filled,
                       self_financing=self_financing, attested=attested, correction=correction,
                       actor=current_actor.get(), effective=received, reason=reason)

    @event(Reported)
    def _reported(self, year, spent, to_reclaim, fte_filled, self_financing, attested, correction,
                  actor, effective, reason):
        self.reports.setdefault(year, []).append(
            YearReport(year, spent, to_reclaim, fte_filled, self_financing, attested, effective, correction))

    def terminate(self, *, cause: str, reason: str, effective: date) -> None:
        problems = self._status_problem((APPLIED, ACTIVE), "it has already ended")
        if cause not in CAUSES:
            problems.append(RuleRefused(f"cause: must be one of {', '.join(CAUSES)}, got {cause!r}"))
        refuse_all(problems)
        self._terminated(cause=cause, actor=current_actor.get(), effective=effective, reason=reason)

    @event(Terminated)
    def _terminated(self, cause, actor, effective, reason):
        self.status = TERMINATED
        self.termination = {"cause": cause, "effective": effective, "reason": reason}
