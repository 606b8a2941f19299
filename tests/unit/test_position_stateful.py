"""Random command sequences against a small, independent model of the rules.

After every step the aggregate must (a) agree with the model on whether the command was accepted
and on every amount, and (b) equal the state replayed from its own events.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from grants.domain.errors import GrantsError
from grants.domain.kommuner import lookup
from grants.domain.position import GrantPosition

LADDER = {1: 660_000, 2: 550_000, 3: 440_000, 4: 330_000}


def model_rate(year, ladder_year):
    if year <= 2022:
        return LADDER.get(ladder_year)
    return 330_000 if year <= 2024 else None


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


class PositionMachine(RuleBasedStateMachine):
    @initialize(scheme=st.sampled_from(["765.62", "765.62-new", "765.60-adults"]),
                year=st.integers(2017, 2024), fte=st.integers(1, 100), grant_now=st.booleans())
    def apply(self, scheme, year, fte, grant_now):
        if scheme == "765.62":
            year = min(year, 2021)
        if scheme == "765.62-new":
            year = max(year, 2022)
        self.scheme, self.first_year = scheme, year
        self.fte = Fraction(fte, 100)
        self.position = GrantPosition.apply_for(ref="R/1", kommune=lookup("3401", min(year, 2023)),
                                                scheme=scheme, title="t", fte=Decimal(fte) / 100, year=year,
                                                received=date(year, 1, 15))
        self.status = "applied"
        self.years = {}  # year -> [ladder_year, base, base_fte, segments [(month, fte)], amount]
        self.reported = set()
        if grant_now:  # half the runs start active, so long lifecycles are common
            self.grant(offset=0, ladder_year=None, amount=400_000, pre_project=False)

    def attempt(self, expected_ok, command):
        try:
            command()
            accepted = True
        except GrantsError:
            accepted = False
        assert accepted == expected_ok, f"aggregate {'accepted' if accepted else 'refused'}, model disagrees"
        return accepted

    def amount(self, base, base_fte, segments):
        starts = [m for m, _ in segments] + [13]
        fte_months = sum((starts[i + 1] - starts[i]) * f for i, (_, f) in enumerate(segments))
        return half_up(Fraction(base) * fte_months / (12 * base_fte))

    def entry(self, year, ladder_year, entered):
        if self.scheme == "765.62":
            rate = model_rate(year, ladder_year)
            return [ladder_year, rate, Fraction(1), [(1, self.fte)], half_up(rate * self.fte)]
        return [ladder_year, entered, self.fte, [(1, self.fte)], entered]

    @rule(offset=st.sampled_from([0, 0, 0, 0, -1, 1]), ladder_year=st.sampled_from([None, None, None, 1, 2, 4, 5]),
          amount=st.integers(1, 900_000), pre_project=st.sampled_from([False, False, False, True]))
    def grant(self, offset, ladder_year, amount, pre_project):
        year = self.first_year + offset
        ladder = self.scheme == "765.62"
        pre_ok = self.scheme.startswith("765.60")
        ok = (self.status == "applied" and offset == 0
              and (not pre_project or (pre_ok and ladder_year is None))
              and (ladder_year is None or pre_project or (ladder and 1 <= ladder_year <= 4)))
        placed = 0 if pre_project else (ladder_year or 1)
        if self.attempt(ok, lambda: self.position.grant(
                year=year, ladder_year=ladder_year, amount=None if ladder else amount,
                reason="placed", pre_project=pre_project, decided=date(year, 3, 1))):
            self.status = "active"
            self.years[year] = self.entry(year, placed, amount)

    @rule(offset=st.sampled_from([1, 1, 1, 1, 0, 2]), step=st.integers(-50_000, 2))
    def advance(self, offset, step):
        """Amount-based schemes: the amount is drawn around the step-down ceiling."""
        last = max(self.years) if self.years else None
        amount = 400_000 + step
        if last is not None:
            _, base, base_fte, _, _ = self.years[last]
            amount = max(half_up(Fraction(base) * self.fte / base_fte) + step, 0)
        year = (last or self.first_year) + offset
        ok = self.status == "active" and offset == 1
        if ok:
            ladder_year = self.years[last][0] + 1
            ok = ladder_year <= 4
            if self.scheme == "765.62":
                ok = ok and year <= 2024
            elif self.scheme == "765.62-new":
                ok = ok and year <= 2025
            else:
                ok = ok and year <= 2026
            if ok and self.scheme != "765.62" and self.years[last][0] > 0:
                _, base, base_fte, _, _ = self.years[last]
                ok = amount <= half_up(Fraction(base) * self.fte / base_fte)
        if self.attempt(ok, lambda: self.position.advance(
                year=year, amount=None if self.scheme == "765.62" else amount, decided=date(year, 3, 1))):
            self.years[year] = self.entry(year, self.years[last][0] + 1, amount)

    @rule(drop=st.integers(-2, 60), shift=st.integers(-1, 6), day=st.sampled_from([1, 1, 1, 15]),
          offset=st.sampled_from([0, 0, 0, 0, -1, 1]))
    def reduce(self, drop, shift, day, offset):
        """Draw the new FTE and month near the edges: equal FTE, the same or an earlier month."""
        last = max(self.years) if self.years else self.first_year
        latest_start = self.years[last][3][-1][0] if self.years else 1
        year, month = last + offset, min(max(latest_start + shift, 1), 12)
        new = max(self.fte - Fraction(drop, 100), Fraction(1, 100))
        if new > 1:
            new = Fraction(1)
        ok = (self.status == "active" and day == 1 and new < self.fte and offset == 0
              and month >= latest_start)
        as_decimal = Decimal(new.numerator) / Decimal(new.denominator)
        if self.attempt(ok, lambda: self.position.reduce_fte(fte=as_decimal.quantize(Decimal("0.01")),
                                                             effective=date(year, month, day))):
            self.fte = new
            entry = self.years[year]
            entry[3] = [s for s in entry[3] if s[0] < month] + [(month, new)]
            entry[4] = self.amount(entry[1], entry[2], entry[3])

    @rule(offset=st.integers(0, 5), spent=st.integers(0, 900_000), correction=st.booleans())
    def report(self, offset, spent, correction):
        year = self.first_year + offset
        ok = year in self.years and (year in self.reported) == correction
        if self.attempt(ok, lambda: self.position.report(year=year, spent=spent, correction=correction, received=date(year + 1, 2, 1))):
            self.reported.add(year)
            assert self.position.reports[year][-1].to_reclaim == max(self.years[year][4] - spent, 0)

    @rule(act=st.integers(0, 9))
    def reject(self, act):
        """Ending commands fire rarely (act == 0), so most runs reach long lifecycles."""
        if act == 0 and self.attempt(self.status == "applied", lambda: self.position.reject(reason="no", decided=date(2021, 3, 1))):
            self.status = "rejected"

    @rule(cause=st.sampled_from(["expired", "wound-down", "withdrawn", "other"]), act=st.integers(0, 9))
    def terminate(self, cause, act):
        if act == 0 and self.attempt(self.status in ("applied", "active"),
                        lambda: self.position.terminate(cause=cause, reason="end", effective=date(2024, 12, 31))):
            self.status = "terminated"

    @invariant()
    def agrees_with_the_model_and_with_its_replay(self):
        assert self.position.status == self.status
        assert {y: f.amount for y, f in self.position.years.items()} == {y: e[4] for y, e in self.years.items()}
        assert {y: f.ladder_year for y, f in self.position.years.items()} == {y: e[0] for y, e in self.years.items()}
        assert self.position.fte == Decimal(self.fte.numerator * 100 // self.fte.denominator) / 100
        replay = None
        for domain_event in self.position._pending_events:
            replay = domain_event.mutate(replay)
        state = {k: v for k, v in self.position.__dict__.items() if k != "_pending_events"}
        assert {k: v for k, v in replay.__dict__.items() if k != "_pending_events"} == state


TestPositionStateful = PositionMachine.TestCase
TestPositionStateful.settings = settings(max_examples=400, stateful_step_count=30, deadline=None)
