"""Money and FTE arithmetic. Kroner are int; FTE and intermediate products are Decimal."""

import re
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")
FTE_TEXT = re.compile(r"[0-9]{1,3}(\.[0-9]+)?|\.[0-9]+", re.ASCII)
MAX_KRONER = 10**11  # 100 billion: above any single grant by orders of magnitude


def round_kroner(value: Decimal) -> int:
    """Round to whole kroner, half up (0.5 -> 1), as the state accounts do."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_fte(raw, limit: Decimal = Decimal(1)) -> Decimal:
    """An FTE is a fraction in (0, limit] in whole percent (at most two decimals); the limit is 1
    unless a scheme allows team grants (the aggregate checks each scheme's own limit)."""
    text = str(raw).strip()
    if not FTE_TEXT.fullmatch(text):  # plain decimals only: no exponent, sign, NaN or Infinity
        raise ValueError("must be a decimal fraction such as 0.5")
    try:
        fte = Decimal(text)
    except ArithmeticError:
        raise ValueError("must be a decimal fraction such as 0.5") from None
    if not fte.is_finite() or fte <= 0 or fte > limit:
        raise ValueError(f"must be more than 0 and at most {limit}")
    if fte != fte.quantize(HUNDREDTH):
        raise ValueError("must be whole percent (at most two decimals)")
    return fte.quantize(HUNDREDTH)


def parse_kroner(raw) -> int:
    """Whole, non-negative kroner; strings like '275000' or ints."""
    if isinstance(raw, bool):
        raise ValueError("must be whole kroner")
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not text.isdigit() or not text.isascii():
            raise ValueError("must be whole kroner (digits only)")
        value = int(text)
    if value < 0 or value > MAX_KRONER:
        raise ValueError(f"must be between 0 and {MAX_KRONER}")
    return value


def parse_fte_filled(raw, limit: Decimal = Decimal(1)) -> Decimal:
    """An average filled FTE may be 0 (vacant all year); otherwise as an FTE."""
    if str(raw).strip() in ("0", "0.0", "0.00"):
        return Decimal("0.00")
    return parse_fte(raw, limit)
