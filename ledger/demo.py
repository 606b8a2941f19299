"""A realistic national data set for `grants demo`, made from real kommuner and the real rules.

Deterministic (seeded): every office, positions in a few hundred kommuner, first years 2017-2024,
FTE reductions, reports (some late, some with unspent money, some missing), terminations, the
transitional positions wound down at the end of 2024 (a few left active, to show the check),
the new scheme and both 765.60 schemes. Commands go through the same validation as the CLI.
"""

import random
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from grants.domain import commands as c
from grants.domain import rules
from grants.domain.kommuner import all_current, code_in
from grants.domain.money import round_kroner

STEP_DOWNS = [Decimal(1), Decimal("0.9"), Decimal("0.8"), Decimal("0.75")]  # next year's share of an amount
FRAME_MARGIN = Decimal("1.04")  # demo frames lie 4 % above what the demo grants
FTES = ["1", "1", "1", "0.8", "0.5", "0.5", "0.6", "0.4", "0.2"]
TITLES = ["Ruskonsulent", "Erfaringskonsulent", "Miljøterapeut", "Oppsøkende team", "Ettervernkonsulent",
          "Boligoppfølging", "Ungdomskontakt", "Lavterskeltilbud"]


class DemoBuilder:
    """Makes the commands, running each in a unit of work so reports can see the amounts."""

    def __init__(self, ledger, seed: int = 765, progress=None):
        self.progress = progress  # called as ("build", commands made, None), e.g. a progress bar
        self.rng = random.Random(seed)
        self.today = ledger.today()  # reports due after today are not in yet
        self.work = ledger.unit_of_work()
        self.commands: list[c.Command] = []
        self.serial = 0
        self.left_active = 0

    def add(self, model: type[c.Command], **values: Any) -> None:
        command = c.parse(model, **{k: v for k, v in values.items() if v is not None})
        self.work.run(command)
        self.commands.append(command)
        if self.progress is not None and len(self.commands) % 500 == 0:
            self.progress("build", len(self.commands), None)

    def ref(self, year: int) -> str:
        self.serial += 1
        return f"{year}/{self.serial:05d}-1"

    def build(self) -> list[c.Command]:
        kommuner = [k for k in all_current() if self.rng.random() < 0.75]
        for kommune in kommuner:
            for _ in range(self.rng.choice([1, 2, 2, 3, 3, 4, 5])):
                self.ladder_position(kommune.number)
            if self.rng.random() < 0.45:
                self.amount_position(kommune.number, "765.62-new", self.rng.randint(2022, 2025))
            if self.rng.random() < 0.08:
                scheme = self.rng.choice(["765.60-adults", "765.60-youth"])
                self.amount_position(kommune.number, scheme, self.rng.randint(2019, 2023))
        return self.commands

    def ladder_position(self, number: str) -> None:
        rng = self.rng
        first = rng.choice([2017, 2017, 2018, 2019, 2019, 2020, 2020, 2021, 2021, 2021])
        code = code_in(number, first)
        if code is None:
            return
        ref, fte = self.ref(first), rng.choice(FTES)
        full_time_cost = rng.choice([None, 620000, 680000, 720000])
        self.add(c.Apply, ref=ref, kommune=code, scheme="765.62", title=rng.choice(TITLES), fte=fte,
                 year=first, received=date(first, 2, rng.randint(1, 20)),
                 wage_cost=int(full_time_cost * Decimal(fte)) if full_time_cost else None)
        if rng.random() < 0.05:
            self.add(c.Reject, ref=ref, reason="not anchored in the kommune's plan", decided=date(first, 3, 20))
            return
        placed = rng.choice([1] * 8 + [2, 3]) if first == 2017 else 1
        self.add(c.Grant, ref=ref, year=first, decided=date(first, 3, rng.randint(10, 28)),
                 ladder_year=placed if placed > 1 else None,
                 reason="funded before 2017, placed on the ladder" if placed > 1 else None)
        ladder, year, current = placed, first, Decimal(fte)
        while True:
            if current > Decimal("0.4") and rng.random() < 0.07:
                current = (current / 2).quantize(Decimal("0.01"))
                self.add(c.ReduceFte, ref=ref, fte=str(current), effective=date(year, rng.randint(2, 11), 1),
                         reason="part of the position vacant")
            self.report(ref, "765.62", year)
            if rng.random() < 0.03 and year < 2024:
                self.add(c.Terminate, ref=ref, cause="withdrawn", reason="position not continued",
                         effective=date(year, 12, 31))
                return
            if ladder == 4 or year == 2024:
                break
            year, ladder = year + 1, ladder + 1
            self.add(c.Advance, ref=ref, year=year, decided=date(year, 3, rng.randint(5, 25)),
                     kommune=number if code_in(number, year) == number != code else None)  # a split kommune
        if year == 2024:
            if self.left_active < 3 and rng.random() < 0.01:
                self.left_active += 1  # left active on purpose: `grants winddown` flags it
                return
            self.add(c.Terminate, ref=ref, cause="wound-down", reason="transitional scheme ended 2024",
                     effective=date(2024, 12, 31))
        else:
            self.add(c.Terminate, ref=ref, cause="expired", reason="four funded years",
                     effective=date(year, 12, 31))

    def amount_position(self, number: str, scheme: str, first: int) -> None:
        rng = self.rng
        code = code_in(number, first)
        if code is None:
            return
        ref = self.ref(first)
        fte = rng.choice(["1", "1", "0.8", "0.5"])
        self.add(c.Apply, ref=ref, kommune=code, scheme=scheme, title=rng.choice(TITLES), fte=fte, year=first,
                 received=date(first, 3, 1))
        pre = scheme.startswith("765.60") and rng.random() < 0.4
        amount = rng.randrange(150_000, 350_000, 5_000) if pre else rng.randrange(300_000, 1_200_000, 10_000)
        self.add(c.Grant, ref=ref, year=first, amount=amount, decided=date(first, 4, 15), pre_project=pre or None)
        last_year = min(first + (4 if pre else 3), rules.rule_for(scheme, first).last)
        for year in range(first, last_year + 1):
            if year > first:
                if pre and year == first + 1:
                    amount = rng.randrange(600_000, 1_400_000, 10_000)
                else:
                    amount = round_kroner(amount * rng.choice(STEP_DOWNS))
                self.add(c.Advance, ref=ref, year=year, amount=amount, decided=date(year, 4, 20),
                         kommune=number if code_in(number, year) == number != code else None)  # a split kommune
            self.report(ref, scheme, year)

    def report(self, ref: str, scheme: str, year: int) -> None:
        """Most years are reported on time; some late, some not at all, some with money left."""
        rng = self.rng
        due = rules.report_due(scheme, year)
        if due > self.today or rng.random() < 0.04:
            return
        received = due if rng.random() < 0.9 else date(due.year, due.month + 2, 1)
        auditor = scheme.startswith("765.60") and rng.random() < 0.85
        position = self.work.position(ref)
        amount = position.years[year].amount
        spent = amount if rng.random() < 0.8 else amount - rng.randrange(10_000, amount // 3 + 20_000, 5_000)
        gap = max((position.wage_cost or 0) - amount, 0)
        self_financing = gap if rng.random() < 0.9 else gap // 2
        self.add(c.Report, ref=ref, year=year, spent=max(spent, 0), received=received,
                 attested="auditor" if auditor else "self", self_financing=self_financing or None)

    def frames(self) -> list[c.SetFrame]:
        """765.62 frames per office and year a little above what the demo grants (as set afterwards)."""
        granted: dict[tuple[str, int], int] = {}
        for position in self.work.positions.values():
            if position.scheme == "765.62":
                for year, funded in position.years.items():
                    granted[(position.office, year)] = granted.get((position.office, year), 0) + funded.amount
        return [c.SetFrame(office=office, scheme="765.62", year=year, amount=_round_up(total * FRAME_MARGIN, 100_000),
                           reason="demo frame") for (office, year), total in sorted(granted.items())]


def _round_up(value: Decimal, step: int) -> int:
    """The next multiple of `step` at or above `value`."""
    return -(-int(value.to_integral_value(rounding=ROUND_CEILING)) // step) * step
