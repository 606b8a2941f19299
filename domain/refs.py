"""Case references: validated without pydantic, so reading commands stay light to start."""

import re

from grants.domain.errors import InvalidInput, quoted

REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
REF_RULE = "must be a case reference like 2021/4711-3 (letters, digits, / . _ -; at most 64)"


def check_ref(raw: object) -> str:
    text = str(raw)
    if not REF_PATTERN.fullmatch(text):
        raise ValueError(REF_RULE)
    return text


def parse_ref(raw: str) -> str:
    """The ref, or InvalidInput naming the field and the value."""
    try:
        return check_ref(raw)
    except ValueError:
        raise InvalidInput(f"ref: {REF_RULE}, got {quoted(raw)}") from None
