"""Random command sequences against a small, independent model of the rules.

After every step the aggregate must (a) agree with the model on whether the command was accepted
and on every amount, entitlement and sum to reclaim, and (b) equal the state replayed from its own
events. The model knows the rules of issue 10 too: discretionary amounts on the ladder need a
reason, funding resumes after a gap only with a reason, a decision is never dated before the
application, team grants (765.60) keep their amount on a formal FTE change unless rescaled, the
entitlement ends with the month of a termination and follows the FTE filled, carry-over moves at
most the unspent money into the next year, and a renumbered kommune continues under its successor.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from grants.domain.errors import GrantsError
from grants.domain.kommuner import lookup
from grants.domain.position import GrantPosition

LADDER = {1: 660_000, 2: 550_000, 3: 440_000, 4: 330_000}
LAST_RULE_YEAR = {"765.62": 2024, "765.62-new": 2025, "765.60-adults": 2026}
CARRY_UNTIL = {"765.62": 2025, "765.62-new": 2026, "765.60-adults": 2027}
MAX_FTE = {"765.62": 1, "765.62-new": 1, "765.60-adults": 20}
KEEPS_AMOUNT = {"765.60-adults"}  # a formal FTE change keeps a team grant's amount unless rescaled


def model_rate(year, ladder_year):
    if year <= 2022:
        return LADDER.get(ladder_year)
    return 330_000 if year <= 2024 else None


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


class PositionMachine(RuleBasedStateMachine):
    @initialize(scheme=st.sampled_from(["765.62", "765.62-new", "765.60-adults"]),
                year=st.integers(2017, 2024), fte=st.integers(1, 100), team=st.sampled_from([1, 1, 2, 3]),
                halden=st.booleans(), grant_now=st.booleans())
    def apply(self, scheme, year, fte, team, halden, grant_now):
        if scheme == "765.62":
            year = min(year, 2021)
        if scheme == "765.62-new":
            year = max(year, 2022)
        if scheme == "765.60-adults":
            fte *= team  # a team grant may cover more than one FTE
        self.scheme, self.first_year = scheme, year
        self.fte = Fraction(fte, 100)
        self.kommune = "3001" if halden and year <= 2023 else "3401"  # Halden: 3101 from 2024
        self.position = GrantPosition.apply_for(ref="R/1", kommune=lookup(self.kommune, min(year, 2023)),
                                                scheme=scheme, title="t", fte=Decimal(fte) / 100, year=year,
                                                received=date(year, 1, 15))
        self.status = "applied"
        self.years = {}  # year -> [ladder_year, base, base_fte, segments [(month, fte)], amount]
        self.reported = {}  # year -> (paid, entitlement, spent)
        self.carried_in, self.carried_out = {}, {}
        self.ends = None  # the termination's effective date
        if grant_now:  # half the runs start active, so long lifecycles are common
            self.grant(offset=0, ladder_year=None, amount=400_000, pre_project=False, discretion=None, early=False)

    def attempt(self, expected_ok, command):
        try:
            command()
            accepted = True
        except GrantsError:
            accepted = False
        assert accepted == expected_ok, f"aggregate {'accepted' if accepted else 'refused'}, model disagrees"
        return accepted

    def amount(self, base, base_fte, segments, through=12):
        starts = [m for m, _ in segments] + [13]
        fte_months = sum(max(min(starts[i + 1], through + 1) - starts[i], 0) * f for i, (_, f) in enumerate(segments))
        return half_up(Fraction(base) * fte_months / (12 * base_fte))

    def entry(self, year, ladder_year, entered, discretionary=None):
        if self.scheme == "765.62":
            if discretionary is not None:
                return [ladder_year, discretionary, self.fte, [(1, self.fte)], discretionary]
            rate = model_rate(year, ladder_year)
            return [ladder_year, rate, Fraction(1), [(1, self.fte)], half_up(rate * self.fte)]
        return [ladder_year, entered, self.fte, [(1, self.fte)], entered]

    def reclaim(self, year):
        paid, entitlement, spent = self.reported[year]
        carried_in, carried_out = self.carried_in.get(year, 0), self.carried_out.get(year, 0)
        return max(paid + carried_in - carried_out - min(spent, entitlement + carried_in), 0)

    @rule(offset=st.sampled_from([0, 0, 0, 0, -1, 1]), ladder_year=st.sampled_from([None, None, None, 1, 2, 4, 5]),
          amount=st.integers(1, 900_000), pre_project=st.sampled_from([False, False, False, True]),
          discretion=st.sampled_from([None, None, None, "with reason", "without reason"]),
          early=st.sampled_from([False, False, False, True]))
    def grant(self, offset, ladder_year, amount, pre_project, discretion, early):
        year = self.first_year + offset
        ladder = self.scheme == "765.62"
        pre_ok = self.scheme.startswith("765.60")
        entered = amount if not ladder or discretion else None
        reason = None if discretion == "without reason" else "placed"
        ok = (self.status == "applied" and offset == 0 and not early
              and (not pre_project or (pre_ok and ladder_year is None))
              and (ladder_year is None or pre_project or (ladder and 1 <= ladder_year <= 4))
              and not (ladder and discretion == "without reason"))
        placed = 0 if pre_project else (ladder_year or 1)
        decided = date(year, 1, 1) if early else date(year, 3, 1)  # received 15 January
        if self.attempt(ok, lambda: self.position.grant(
                year=year, ladder_year=ladder_year, amount=entered, reason=reason, pre_project=pre_project,
                decided=decided)):
            self.status = "active"
            self.years[year] = self.entry(year, placed, amount, amount if ladder and discretion else None)

    @rule(offset=st.sampled_from([1, 1, 1, 1, 0, 2]), step=st.integers(-50_000, 2), reason=st.booleans(),
          discretion=st.sampled_from([None, None, None, 500_000]))
    def advance(self, offset, step, reason, discretion):
        """Amount-based schemes: the amount is drawn around the step-down ceiling; a gap of a year
        resumes funding when a reason is given."""
        last = max(self.years) if self.years else None
        amount = 400_000 + step
        if last is not None:
            _, base, base_fte, segments, _ = self.years[last]
            amount = max(half_up(Fraction(base) * segments[-1][1] / base_fte) + step, 0)
        year = (last or self.first_year) + offset
        ladder = self.scheme == "765.62"
        ok = (self.status == "active" and (offset == 1 or (offset == 2 and reason))
              and not (ladder and discretion and not reason))
        if ok:
            ladder_year = self.years[last][0] + 1
            ok = ladder_year <= 4 and year <= LAST_RULE_YEAR[self.scheme]
            if ladder and 2022 <= year <= 2024:
                ok = ok and 2021 in self.years  # the transitional rule continues 2021 positions only
            if ok and not ladder and self.years[last][0] > 0:
                _, base, base_fte, segments, _ = self.years[last]
                ok = amount <= half_up(Fraction(base) * segments[-1][1] / base_fte)
        entered = discretion if ladder else amount
        ok = ok and (ladder or amount > 0)  # 0 pays nothing: never a grant
        if self.attempt(ok, lambda: self.position.advance(
                year=year, amount=entered, decided=date(year, 3, 1), reason="resumed" if reason else None)):
            self.years[year] = self.entry(year, self.years[last][0] + 1, amount, discretion if ladder else None)
            if year >= 2024 and self.kommune == "3001":
                self.kommune = "3101"

    @rule(drop=st.integers(-2, 60), shift=st.integers(-1, 6), day=st.sampled_from([1, 1, 1, 15]),
          offset=st.sampled_from([0, 0, 0, 0, -1, 1]), rescale=st.booleans())
    def reduce(self, drop, shift, day, offset, rescale):
        """Draw the new FTE and month near the edges: equal FTE, the same or an earlier month."""
        last = max(self.years) if self.years else self.first_year
        latest_start = self.years[last][3][-1][0] if self.years else 1
        year, month = last + offset, min(max(latest_start + shift, 1), 12)
        new = max(self.fte - Fraction(drop, 100), Fraction(1, 100))
        ok = (self.status == "active" and day == 1 and new < self.fte and offset == 0
              and month >= latest_start)
        as_decimal = Decimal(new.numerator) / Decimal(new.denominator)
        if self.attempt(ok, lambda: self.position.reduce_fte(fte=as_decimal.quantize(Decimal("0.01")),
                                                             effective=date(year, month, day), rescale=rescale)):
            self.fte = new
            if self.scheme in KEEPS_AMOUNT and not rescale:
                return  # the team grant keeps its amount; only the formal FTE changed
            entry = self.years[year]
            entry[3] = [s for s in entry[3] if s[0] < month] + [(month, new)]
            entry[4] = self.amount(entry[1], entry[2], entry[3])

    @rule(offset=st.integers(0, 5), spent=st.integers(0, 900_000), correction=st.booleans(),
          filled=st.sampled_from([None, None, 0, 30, 100, 400]))
    def report(self, offset, spent, correction, filled):
        year = self.first_year + offset
        fte_filled = None if filled is None else Fraction(filled, 100)
        money_in = year in self.years or year in self.carried_in
        within = fte_filled is None or fte_filled <= MAX_FTE[self.scheme]
        ok = money_in and (year in self.reported) == correction and within
        as_decimal = None if fte_filled is None else (Decimal(filled) / 100).quantize(Decimal("0.01"))
        if self.attempt(ok, lambda: self.position.report(year=year, spent=spent, correction=correction,
                                                         fte_filled=as_decimal, received=date(year + 1, 2, 1))):
            paid = self.years[year][4] if year in self.years else 0
            self.reported[year] = (paid, self.entitlement(year, fte_filled), spent)
            assert self.position.reports[year][-1].to_reclaim == self.reclaim(year)

    def entitlement(self, year, fte_filled):
        if year not in self.years:
            return 0
        months = 12 if self.ends is None or self.ends.year > year else (0 if self.ends.year < year else self.ends.month)
        _, base, base_fte, segments, _ = self.years[year]
        for_months = self.amount(base, base_fte, segments, months)
        if fte_filled is None:
            return for_months
        return min(half_up(Fraction(base) * fte_filled * months / (12 * base_fte)), for_months)

    @rule(offset=st.integers(0, 5), share=st.integers(0, 110))
    def carry_over(self, offset, share):
        """Carry a share (in percent) of a year's unspent money into the next year."""
        year = self.first_year + offset
        unspent = self.reclaim(year) if year in self.reported else 0
        amount = max(unspent * share // 100, 1) if share else 0
        ok = (self.status in ("active", "terminated") and (year in self.years or year in self.carried_in)
              and year + 1 <= CARRY_UNTIL[self.scheme] and year in self.reported and 0 < amount <= unspent)
        if self.attempt(ok, lambda: self.position.carry_over(from_year=year, amount=amount, reason="approved",
                                                             decided=date(year + 1, 2, 1))):
            self.carried_out[year] = self.carried_out.get(year, 0) + amount
            self.carried_in[year + 1] = self.carried_in.get(year + 1, 0) + amount

    @rule(act=st.integers(0, 9))
    def reject(self, act):
        """Ending commands fire rarely (act == 0), so most runs reach long lifecycles."""
        if act == 0 and self.attempt(self.status == "applied", lambda: self.position.reject(
                reason="no", decided=date(self.first_year, 3, 1))):
            self.status = "rejected"

    @rule(cause=st.sampled_from(["expired", "wound-down", "withdrawn", "other"]), act=st.integers(0, 9),
          month=st.integers(1, 12))
    def terminate(self, cause, act, month):
        """Effective in a month of the latest funded year: the entitlement ends with that month."""
        ends = date(max(self.years) if self.years else self.first_year, month, 28)
        if act == 0 and self.attempt(self.status in ("applied", "active"),
                                     lambda: self.position.terminate(cause=cause, reason="end", effective=ends)):
            self.status, self.ends = "terminated", ends

    @invariant()
    def agrees_with_the_model_and_with_its_replay(self):
        assert self.position.status == self.status
        assert {y: f.amount for y, f in self.position.years.items()} == {y: e[4] for y, e in self.years.items()}
        assert {y: f.ladder_year for y, f in self.position.years.items()} == {y: e[0] for y, e in self.years.items()}
        assert self.position.fte == Decimal(self.fte.numerator * 100 // self.fte.denominator) / 100
        reclaimed = {y: self.position.money(y).to_reclaim for y in self.reported}
        assert reclaimed == {y: self.reclaim(y) for y in self.reported}
        assert self.position.kommunenummer == self.kommune
        replay = None
        for domain_event in self.position._pending_events:
            replay = domain_event.mutate(replay)
        state = {k: v for k, v in self.position.__dict__.items() if k != "_pending_events"}
        assert {k: v for k, v in replay.__dict__.items() if k != "_pending_events"} == state


TestPositionStateful = pytest.mark.slow(PositionMachine.TestCase)
TestPositionStateful.settings = settings(max_examples=400, stateful_step_count=30, deadline=None)
