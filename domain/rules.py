"""Funding rules: a versioned rate table (data/rules.json) read by pure functions.

Each computation returns the amount *and* what it was computed from, so the events can store the
rule id and rate and an auditor can redo the arithmetic by hand (see `Computation.arithmetic`).
"""

import csv
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path

from grants.domain.dates import MONTHS
from grants.domain.errors import InvalidInput, RuleRefused, quoted
from grants.domain.i18n import N_, _
from grants.domain.money import format_exact, format_fte, format_kroner, round_kroner

RULES_FILE = Path(__file__).parent / "data" / "rules.json"


@dataclass(frozen=True)
class Scheme:
    id: str
    title: str
    basis: str  # "ladder" (rate x FTE) or "amount" (entered by the caseworker)
    first_year: int
    last_new_year: int  # the last year a new position may start
    max_years: int  # funded years, not counting a pre-project year
    pre_project_years: int
    attestation: str  # the attestation its reports need: "self" or "auditor"
    report_due_day: tuple[int, int] = (3, 1)  # (month, day) of the year after, when data has no deadline
    new_scheme_hint: str | None = None
    wind_down: tuple[int, int] | None = None  # (first, last) year of a scheme that is being wound down
    max_fte: Decimal = Decimal(1)  # the most FTE one grant may cover (765.60 team grants: more than 1)
    other_costs: bool = False  # the scheme covers costs other than salaries (drift, partners)
    fte_change_rescales: bool = True  # a formal FTE reduction rescales the year's amount by default
    permanence_plan: bool = False  # the application must describe how the position becomes permanent
    carry_over_until: int | None = None  # the last year unspent money may be carried into
    transitional_from: int | None = None  # a transitional year needs funding in this year (765.62: 2021)


@dataclass(frozen=True)
class Rule:
    id: str
    scheme: str
    first: int
    last: int
    basis: str  # "ladder", "flat" or "amount"
    rates: dict[int, int]
    rate: int | None
    note: str
    practice: tuple[str, str] | None = None  # (practice, choice): used only under that choice
    transitional: bool = False  # a transitional rule: only positions funded in the scheme's transitional_from year

    def rate_for(self, ladder_year: int) -> int | None:
        if self.basis == "ladder":
            return self.rates[ladder_year]
        return self.rate


@cache
def _table() -> tuple[dict[str, Scheme], tuple[Rule, ...]]:
    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    schemes = {sid: _scheme_from(sid, s) for sid, s in raw["schemes"].items()}
    rules = tuple(
        Rule(id=r["id"], scheme=r["scheme"], first=r["from"], last=r["to"], basis=r["basis"],
             rates={int(k): v for k, v in r.get("rates", {}).items()}, rate=r.get("rate"),
             note=r.get("note", ""), practice=tuple(r["practice"]) if "practice" in r else None,
             transitional=r.get("transitional", False))
        for r in raw["rules"]
    )
    return schemes, rules


@cache
def _practices_table() -> dict[str, dict]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8")).get("practices", {})


def _scheme_from(scheme_id: str, raw: dict) -> Scheme:
    fields = {k: v for k, v in raw.items() if k in Scheme.__annotations__}
    for key in ("report_due_day", "wind_down"):  # lists in JSON, tuples here
        if key in fields:
            fields[key] = tuple(fields[key])
    if "max_fte" in fields:
        fields["max_fte"] = Decimal(str(fields["max_fte"]))
    return Scheme(id=scheme_id, **fields)


PRACTICE_SETTING = "GRANTS_PRACTICE"  # e.g. "transitional-2023=ladder"; several separated by commas


def practices() -> tuple[tuple[str, str], ...]:
    """The choice in force for every practice: the data's default unless the setting names another.

    A setting, not a clock: which rule a decision used is stored in its event (the rule id), so
    switching the practice changes later decisions only, never recorded amounts."""
    return _practices(os.environ.get(PRACTICE_SETTING, ""))


@cache
def _practices(setting: str) -> tuple[tuple[str, str], ...]:
    """Cached per value of the setting: asked for every decision of a batch import."""
    table = _practices_table()
    chosen = {name: spec["default"] for name, spec in table.items()}
    for item in filter(None, (part.strip() for part in setting.split(","))):
        name, _equals, choice = item.partition("=")
        name, choice = name.strip(), choice.strip()
        if name not in table or choice not in table[name]["choices"]:
            known = "; ".join(f"{n}={'|'.join(s['choices'])}" for n, s in table.items())
            raise InvalidInput(f"{PRACTICE_SETTING}: " + _("unknown practice {item}; one of {known}").format(
                item=repr(item), known=known))
        chosen[name] = choice
    return tuple(sorted(chosen.items()))


def scheme(scheme_id: str) -> Scheme:
    schemes, _rules = _table()
    if scheme_id not in schemes:
        raise InvalidInput("scheme: " + _("unknown scheme {scheme}; one of {known}").format(
            scheme=quoted(scheme_id), known=", ".join(schemes)))
    return schemes[scheme_id]


def scheme_ids() -> list[str]:
    return list(_table()[0])


def wound_down_schemes() -> list[Scheme]:
    """Schemes with a wind-down period (the 765.62 transitional rule, 2021-2024)."""
    return [s for s in _table()[0].values() if s.wind_down is not None]


def rule_for(scheme_id: str, year: int) -> Rule:
    """The rule in force for a scheme in a grant year under the practices chosen (see
    `practices`); RuleRefused when none is."""
    return _rule_for(scheme_id, year, practices())


@cache
def _rule_for(scheme_id: str, year: int, chosen: tuple[tuple[str, str], ...]) -> Rule:
    """Cached per practice choice: the table is read once per process."""
    in_force = dict(chosen)
    for rule in _table()[1]:
        if rule.practice is not None and in_force.get(rule.practice[0]) != rule.practice[1]:
            continue
        if rule.scheme == scheme_id and rule.first <= year <= rule.last:
            return rule
    last = last_rule_year(scheme_id)
    if last is not None and year > last:
        raise RuleRefused("year: " + _("{scheme} pays nothing after {last} (no rule for {year})").format(
            scheme=scheme_id, last=last, year=year))
    raise RuleRefused("year: " + _("no funding rule for {scheme} in {year}").format(scheme=scheme_id, year=year))


def rule_by_id(rule_id: str) -> Rule:
    """The rule a stored event names. A rule id once written stays readable: an id no longer in
    the table (it never should leave it) still answers, with a note saying so."""
    for rule in _table()[1]:
        if rule.id == rule_id:
            return rule
    return Rule(id=rule_id, scheme="", first=0, last=0, basis="unknown", rates={}, rate=None,
                note=N_("this rule id is no longer in the rate table; the event's own rate and amount stand"))


@dataclass(frozen=True)
class Computation:
    """An amount with everything it came from.

    amount = round_half_up(base x sum(months_i x fte_i) / (12 x base_fte)), where `base` is the rate
    per 100 % FTE (base_fte 1) for ladder and flat rules, or the caseworker's amount at the granted
    FTE for amount-based rules. `segments` are (months, fte) pairs covering the year.
    """

    rule_id: str
    rate: int | None
    base: int
    base_fte: Decimal
    segments: tuple[tuple[int, Decimal], ...]
    amount: int

    @property
    def exact(self) -> Decimal:
        return exact_amount(self.base, self.base_fte, self.segments)

    @property
    def fraction(self) -> Fraction:
        """The exact amount before rounding, as a fraction (2800000/9 rather than 311111.11...)."""
        fte_months = sum((m * Fraction(f) for m, f in self.segments), Fraction(0))
        return self.base * fte_months / (MONTHS * Fraction(self.base_fte))

    def arithmetic(self) -> str:
        """The computation as a person redoes it: 660 000 x (1.00 x 6 + 0.50 x 6) / 12 = 495 000 -> 495 000 NOK."""
        parts = " + ".join(f"{format_fte(f)} x {m}" for m, f in self.segments)
        divisor = "12" if self.base_fte == 1 else f"(12 x {format_fte(self.base_fte)})"
        return _("{base} x ({parts}) / {divisor} = {exact} -> {amount} NOK (rounded half up to whole kroner)").format(
            base=format_kroner(self.base), parts=parts, divisor=divisor, exact=format_exact(self.fraction),
            amount=format_kroner(self.amount))


def exact_amount(base: int, base_fte: Decimal, segments: Iterable[tuple[int, Decimal]]) -> Decimal:
    """base x sum(months x fte) / (12 x base_fte), before rounding."""
    fte_months = sum((Decimal(m) * f for m, f in segments), Decimal(0))
    return Decimal(base) * fte_months / (MONTHS * Decimal(base_fte))


def compute(base: int, base_fte: Decimal, segments: Iterable[tuple[int, Decimal]], rule_id: str,
            rate: int | None) -> Computation:
    # Keyed by each Decimal's text, which keeps its exponent: 1 and 1.00 are equal but print
    # differently, and the Computation carries them as given.
    return _computed(base, str(Decimal(base_fte)), tuple((int(m), str(Decimal(f))) for m, f in segments if m),
                     rule_id, rate)


@lru_cache(maxsize=4096, typed=True)  # typed: 1, True and Decimal(1) are not one base
def _computed(base: int, base_fte_text: str, segments_text: tuple[tuple[int, str], ...], rule_id: str,
              rate: int | None) -> Computation:
    """Memoised: a batch decides the same few amounts (rate, FTE, months) again and again, and the
    Decimal arithmetic is most of a decision's own time. A Computation is immutable, so shared."""
    base_fte = Decimal(base_fte_text)
    segments = tuple((m, Decimal(f)) for m, f in segments_text)
    return Computation(rule_id, rate, base, base_fte, segments, round_kroner(exact_amount(base, base_fte, segments)))


def ladder_amount(scheme_id: str, year: int, ladder_year: int, fte: Decimal) -> Computation:
    """Rate x FTE for a ladder scheme in the given grant year and ladder year."""
    rule = rule_for(scheme_id, year)
    if rule.basis == "amount":
        raise InvalidInput("amount: " + _("{scheme} is amount-based; give --amount").format(scheme=scheme_id))
    if rule.basis == "ladder" and ladder_year not in rule.rates:
        raise RuleRefused("ladder_year: " + _("{rule} has no rate for ladder year {ladder_year}").format(
            rule=rule.id, ladder_year=ladder_year))
    rate = rule.rate_for(ladder_year)
    assert rate is not None  # ladder and flat rules always have a rate
    return compute(rate, Decimal(1), [(MONTHS, fte)], rule.id, rate)


def entered_amount(scheme_id: str, year: int, amount: int, fte: Decimal) -> Computation:
    """An amount-based scheme: the caseworker's amount, at the position's FTE."""
    rule = rule_for(scheme_id, year)
    if rule.basis != "amount":
        raise InvalidInput("amount: " + _("{scheme} computes the amount from its rate table; omit --amount").format(
            scheme=scheme_id))
    return compute(amount, fte, [(MONTHS, fte)], rule.id, None)


DEADLINES_FILE = Path(__file__).parent / "data" / "deadlines.csv"


@cache
def _deadlines() -> dict[tuple[str, str, int, str], date]:
    """(kind, scheme, year, office or "") -> due date, from data/deadlines.csv."""
    with open(DEADLINES_FILE, encoding="utf-8") as f:
        return {(r["kind"], r["scheme"], int(r["year"]), r["office"]): date.fromisoformat(r["due"])
                for r in csv.DictReader(f)}


def application_due(scheme_id: str, year: int, office: str = "") -> date | None:
    """The application deadline for a grant year (an office's own call first), None when unknown."""
    table = _deadlines()
    return table.get(("application", scheme_id, year, office)) or table.get(("application", scheme_id, year, ""))


def report_due(scheme_id: str, year: int, office: str = "") -> date:
    """The reporting deadline for a grant year (an office's own call first): from data, else the
    scheme's usual day next year."""
    table = _deadlines()
    found = table.get(("report", scheme_id, year, office)) or table.get(("report", scheme_id, year, ""))
    if found is not None:
        return found
    month, day = scheme(scheme_id).report_due_day
    return date(year + 1, month, day)


@cache
def last_fundable_year(scheme_id: str, last_funded_year: int, ladder_year: int) -> int:
    """The last year the four-year rule (and the scheme's last rule year) allows, counted from the
    latest funded year and its ladder year (so a gap or a placement on resuming counts right).
    Cached: `expiry` asks for each of 100,000 positions, with few distinct arguments."""
    by_count = last_funded_year + scheme(scheme_id).max_years - ladder_year
    last_rule = last_rule_year(scheme_id)
    return by_count if last_rule is None else min(by_count, last_rule)


@cache
def last_rule_year(scheme_id: str) -> int | None:
    """The last year any rule of the scheme covers (asked per position by `expiry`)."""
    return max((r.last for r in _table()[1] if r.scheme == scheme_id), default=None)


@dataclass(frozen=True)
class Entitlement:
    """What a year's grant entitles the kommune to, given how long and how fully the position ran.

    months: the funded months (12, or through the month a termination takes effect);
    for_months: base x sum(months_i x fte_i, over those months) / (12 x base_fte);
    with fte_filled F (average FTE filled over those months): base x F x months / (12 x base_fte),
    never more than for_months. Rounded half up to whole kroner.
    """

    months: int
    fte_filled: Decimal | None
    for_months: int
    amount: int
    explained: Callable[[], str]  # the arithmetic, written only when asked (explain), not per decision

    @property
    def arithmetic(self) -> str:
        return self.explained()


def entitlement(base: int, base_fte: Decimal, segments: list[tuple[int, Decimal]], through_month: int,
                fte_filled: Decimal | None) -> Entitlement:
    """The entitlement of a funded year whose amount segments are (first month, fte)."""
    starts = [start for start, _ in segments] + [MONTHS + 1]
    pairs = [(max(min(starts[i + 1], through_month + 1) - start, 0), fte) for i, (start, fte) in enumerate(segments)]
    for_months = compute(base, base_fte, pairs, "", None)
    divisor = "12" if base_fte == 1 else f"(12 x {format_fte(base_fte)})"
    if fte_filled is None:
        return Entitlement(through_month, None, for_months.amount, for_months.amount,
                           lambda: _("{arithmetic} ({months} months funded)").format(
                               arithmetic=for_months.arithmetic(), months=through_month))
    exact = base * Fraction(fte_filled) * through_month / (MONTHS * Fraction(base_fte))
    scaled = min(round_kroner(exact), for_months.amount)

    def explained() -> str:
        arithmetic = (_("{base} x {fte} filled x {months} / {divisor} = {exact} -> {amount} NOK (rounded half up)")
                      if round_kroner(exact) <= for_months.amount else
                      _("{base} x {fte} filled x {months} / {divisor} = {exact} -> {amount} NOK "
                        "(rounded half up, capped at {cap})"))
        return arithmetic.format(
            base=format_kroner(base), fte=format_fte(fte_filled), months=through_month, divisor=divisor,
            exact=format_exact(exact), amount=format_kroner(scaled), cap=format_kroner(for_months.amount))
    return Entitlement(through_month, fte_filled, for_months.amount, scaled, explained)
