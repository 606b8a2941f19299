"""Batch import: a CSV file with a `command` column, or JSON Lines, of the CLI's write commands.

The whole file is parsed and validated first; every bad line is reported with its number and
nothing is written unless every line is valid and every decision is allowed.
"""

import csv
import io
import json
from pathlib import Path

from grants.domain import commands as c
from grants.domain.errors import InvalidInput

MAX_LINES = 1_000_000
FLAGS = ("over_frame", "pre_project", "correction")


def _normalise(raw: dict) -> dict:
    """CSV and JSON use the CLI's option names (dashes or underscores); empty cells are absent."""
    values = {}
    for key, value in raw.items():
        if key is None:
            raise ValueError("more cells than columns")
        name = key.strip().replace("-", "_")
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue
        if name == "partner":
            name = "partners"
        if name == "partners" and isinstance(value, str):
            value = tuple(p.strip() for p in value.split(";") if p.strip())
        if name in FLAGS and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(f"{name}: must be true or false, got {value!r}")
            value = lowered in ("true", "yes", "1")
        values[name] = value
    return values


def _records(path: Path):
    text = path.read_text(encoding="utf-8")
    first = text.lstrip()[:1]
    if first == "{":
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, None, f"not valid JSON ({error.msg})"
                    continue
                if not isinstance(record, dict):
                    yield number, None, "a line must be a JSON object"
                    continue
                yield number, record, None
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        for record in reader:
            yield reader.line_num, record, None


def parse_file(path: Path) -> tuple[list[tuple[int, c.Command]], list[str]]:
    """Every line as a command model, and one message per bad line."""
    try:
        records = list(_records(path))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(f"file: cannot read {str(path)!r}: {error}") from None
    if len(records) > MAX_LINES:
        raise InvalidInput(f"file: at most {MAX_LINES} lines, got {len(records)}")
    commands, errors = [], []
    for number, record, problem in records:
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        try:
            values = _normalise(record)
        except ValueError as error:
            errors.append(f"line {number}: {error}")
            continue
        name = values.pop("command", None)
        model = c.COMMANDS.get(name)
        if model is None:
            errors.append(f"line {number}: command: must be one of {', '.join(c.COMMANDS)}, got {name!r}")
            continue
        try:
            commands.append((number, c.parse(model, **values)))
        except InvalidInput as error:
            errors.append(f"line {number}: {error}")
    if not commands and not errors:
        errors.append("file: no commands")
    return commands, errors
