"""Money and FTE arithmetic. Kroner are int; FTE and intermediate products are Decimal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from grants.domain.errors import hint
from grants.domain.i18n import N_, _

if TYPE_CHECKING:  # only the rules compute with fractions: a reading command need not import them
    from fractions import Fraction

HUNDREDTH = Decimal("0.01")
FTE_TEXT = re.compile(r"[0-9]{1,3}([.,][0-9]+)?|[.,][0-9]+", re.ASCII)
GROUPED = re.compile(r"[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+", re.ASCII)  # 550 000 (a space every three digits)
MAX_KRONER = 10**11  # 100 billion: above any single grant by orders of magnitude
FTE_RULE = N_("must be a decimal fraction such as 0.5")
FTE_RANGE = N_("must be more than 0 and at most {limit}")


def round_kroner(value: Decimal | Fraction) -> int:
    """Round to whole kroner, half up (0.5 -> 1), as the state accounts do."""
    if not isinstance(value, Decimal):  # a Fraction
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_kroner(amount: int | None) -> str:
    """Whole kroner grouped as Norwegians write them: 550 000 (empty for None)."""
    return "" if amount is None else f"{amount:,}".replace(",", " ")


def format_fte(fte: Decimal | int | None) -> str:
    """An FTE always with two decimals: 0.50, 1.00 (empty for None)."""
    return "" if fte is None else f"{Decimal(fte).quantize(HUNDREDTH)}"


def format_exact(value: Fraction) -> str:
    """An exact amount in kroner: `495 000`, `137 500.5` when its decimals end, otherwise the
    fraction and its first decimals: `2 800 000/9 (311 111.11...)`."""
    if _terminates(value.denominator):
        whole, _, decimals = f"{Decimal(value.numerator) / Decimal(value.denominator):f}".partition(".")
        return format_kroner(int(whole)) + (f".{decimals}" if decimals else "")
    hundredths = value.numerator * 100 // value.denominator  # cut, not rounded: the dots say it goes on
    return (f"{format_kroner(value.numerator)}/{value.denominator} "
            f"({format_kroner(hundredths // 100)}.{hundredths % 100:02d}...)")


def _terminates(denominator: int) -> bool:
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    return denominator == 1


def parse_fte(raw: object, limit: Decimal = Decimal(1)) -> Decimal:
    """An FTE is a fraction in (0, limit] in whole percent (at most two decimals); the limit is 1
    unless a scheme allows team grants (the aggregate checks each scheme's own limit). A decimal
    comma is read as a point (0,5 = 0.5: Norwegian spreadsheets write it so); a percentage (50,
    50%) gets a hint."""
    text = str(raw).strip()
    percent = text.endswith("%")
    text = text.removesuffix("%").strip()
    if not FTE_TEXT.fullmatch(text):  # plain decimals only: no exponent, sign, NaN or Infinity
        raise ValueError(_(FTE_RULE))
    fte = as_decimal(text)
    if percent or fte > limit:
        raise ValueError(_(FTE_RANGE).format(limit=limit) + _percent_hint(fte, limit, percent))
    if fte <= 0:
        raise ValueError(_(FTE_RANGE).format(limit=limit))
    if fte != fte.quantize(HUNDREDTH):
        raise ValueError(_("must be whole percent (at most two decimals)"))
    return fte.quantize(HUNDREDTH)


def as_decimal(text: str) -> Decimal:
    """An FTE's text (FTE_TEXT: digits with a decimal point or comma) as a Decimal."""
    return Decimal(text.strip().replace(",", "."))


def _percent_hint(value: Decimal, limit: Decimal, percent: bool) -> str:
    """`50` (or `5%`) was meant as a percentage: suggest the fraction. A plain number is taken for
    a percentage from 10 up, and only when whole (`1.5` and `5` get no guess)."""
    share = value / 100
    if not percent and (value < 10 or value != value.to_integral_value()):
        return ""
    if 0 < share <= limit and share == share.quantize(HUNDREDTH):
        return hint(str(share.quantize(HUNDREDTH)))
    return ""


def parse_kroner(raw: object) -> int:
    """Whole, non-negative kroner; strings like '275000' or '275 000', or ints."""
    if isinstance(raw, bool):
        raise ValueError(_("must be whole kroner"))
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if GROUPED.fullmatch(text):  # 550 000, as the tables print it
            text = re.sub(r"\s", "", text)
        if not text.isdigit() or not text.isascii():
            raise ValueError(_("must be whole kroner (digits only)"))
        value = int(text)
    if value < 0 or value > MAX_KRONER:
        raise ValueError(_("must be between 0 and {most}").format(most=format_kroner(MAX_KRONER)))
    return value


def parse_fte_filled(raw: object, limit: Decimal = Decimal(1)) -> Decimal:
    """An average filled FTE may be 0 (vacant all year); otherwise as an FTE."""
    if str(raw).strip() in ("0", "0.0", "0.00", "0,0", "0,00"):
        return Decimal("0.00")
    return parse_fte(raw, limit)


@dataclass(frozen=True)
class YearMoney:
    """A reported year's money: to reclaim = paid + carried in - carried out - min(spent, usable),
    where usable = entitlement + carried in; spending above usable is the kommune's own money."""

    paid: int
    carried_in: int
    carried_out: int
    entitlement: int
    spent: int

    @property
    def usable(self) -> int:
        return self.entitlement + self.carried_in

    @property
    def to_reclaim(self) -> int:
        return max(self.paid + self.carried_in - self.carried_out - min(self.spent, self.usable), 0)

    @property
    def own_money(self) -> int:
        return max(self.spent - self.usable, 0)
