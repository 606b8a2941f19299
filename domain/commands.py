"""Commands: frozen pydantic models at the boundary (CLI and batch import).

Each field has a limit; `parse` turns every violation into one line naming the field and the value.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from grants.domain.errors import InvalidInput
from grants.domain.money import parse_fte, parse_kroner
from grants.domain.refs import check_ref

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _date(raw) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError("must be an ISO date such as 2024-03-01") from None


def _year(raw) -> int:
    text = str(raw).strip()
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or not 2000 <= int(text) <= 2100:
        raise ValueError("must be a year between 2000 and 2100")
    return int(text)


def _text(limit: int):
    def check(raw) -> str:
        if CONTROL.search(str(raw)):  # before strip(): str.strip() silently drops \x1c-\x1f
            raise ValueError("must not contain control characters")
        text = str(raw).strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return text
    return check


def _fte_filled(raw) -> Decimal:
    """A filled FTE may be 0 (vacant all year); otherwise as an FTE."""
    if str(raw).strip() in ("0", "0.0", "0.00"):
        return Decimal("0.00")
    return parse_fte(raw)


Ref = Annotated[str, BeforeValidator(check_ref)]
Fte = Annotated[Decimal, BeforeValidator(parse_fte)]
Kroner = Annotated[int, BeforeValidator(parse_kroner)]
Day = Annotated[date, BeforeValidator(_date)]
Year = Annotated[int, BeforeValidator(_year)]
Title = Annotated[str, BeforeValidator(_text(200))]
Reason = Annotated[str, BeforeValidator(_text(500))]
Kommunenummer = Annotated[str, Field(pattern=r"^[0-9]{4}$")]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    ref: Ref


class Apply(Command):
    kommune: Kommunenummer
    scheme: str = Field(max_length=32)
    title: Title
    fte: Fte
    year: Year
    received: Day | None = None
    wage_cost: Kroner | None = None
    focus: Title | None = None
    partners: tuple[Title, ...] = Field(default=(), max_length=20)


class Grant(Command):
    year: Year
    ladder_year: int | None = Field(default=None, ge=0, le=9)
    amount: Kroner | None = None
    decided: Day | None = None
    reason: Reason | None = None
    over_frame: bool = False
    pre_project: bool = False


class Reject(Command):
    reason: Reason
    decided: Day | None = None


class Advance(Command):
    year: Year
    amount: Kroner | None = None
    decided: Day | None = None
    reason: Reason | None = None
    over_frame: bool = False


class ReduceFte(Command):
    fte: Fte
    effective: Day
    reason: Reason | None = None


class Report(Command):
    year: Year
    spent: Kroner
    fte_filled: Annotated[Decimal, BeforeValidator(_fte_filled)] | None = None
    self_financing: Kroner | None = None
    attested: Literal["self", "auditor"] = "self"
    received: Day | None = None
    correction: bool = False
    reason: Reason | None = None


class Terminate(Command):
    cause: Literal["expired", "wound-down", "withdrawn", "other"]
    reason: Reason
    effective: Day | None = None


COMMANDS: dict[str, type[Command]] = {
    "apply": Apply, "grant": Grant, "reject": Reject, "advance": Advance,
    "reduce-fte": ReduceFte, "report": Report, "terminate": Terminate,
}


def describe(error: ValidationError) -> str:
    """All violations in one line: `field: message, got 'value'`."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "input"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown field")
        elif item["type"] == "missing":
            parts.append(f"{where}: is required")
        else:
            parts.append(f"{where}: {message}, got {item.get('input')!r}")
    return "; ".join(parts)


def parse(model: type[Command], **values) -> Command:
    try:
        return model(**values)
    except ValidationError as error:
        raise InvalidInput(describe(error)) from None


class SetFrame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    office: str = Field(max_length=40)
    scheme: str = Field(max_length=32)
    year: Year
    amount: Kroner
    reason: Reason | None = None
