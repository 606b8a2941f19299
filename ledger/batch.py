"""Batch import: a CSV file with a `command` column, or JSON Lines, of the CLI's write commands.

The whole file is parsed and validated first; every bad line is reported with its number and
nothing is written unless every line is valid and every decision is allowed.
"""

import csv
import io
import json
from pathlib import Path

from grants.domain import commands as c  # the command models define the columns
from grants.domain.errors import InvalidInput
from grants.ledger.xlsx_import import xlsx_records  # .xlsx workbooks, same columns

MAX_LINES = 1_000_000
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")


def columns_of(model: type[c.Command]) -> dict[str, str]:
    """Every column a line of this command may use -> its field: the field name, the CLI
    option's name (with dashes or underscores) and the option's own name (`partner`)."""
    found = {}
    for name, info in model.model_fields.items():
        shown = c.shown_of(info)
        for alias in {name, name.replace("_", "-"), *((shown.option, ) if shown and shown.option else ())}:
            found[alias] = name
    return found


def _normalise(model: type[c.Command], raw: dict) -> dict:
    """A line's cells as the model's fields; empty cells are absent. Lists and flags are read
    as the CLI reads them: `;` between partners, true/false (or yes/no, 1/0) for flags."""
    columns, values = columns_of(model), {}
    for key, value in raw.items():
        if key is None:
            raise ValueError("more cells than columns")
        column = key.strip().removeprefix("--")
        if column == "command" or value is None or (isinstance(value, str) and value.strip() == ""):
            continue  # a CSV file has every command's columns; each line fills its own
        name = columns.get(column) or columns.get(column.replace("_", "-"))
        if name is None:
            raise ValueError(f"{column}: not an option of {model.name}")
        info = model.model_fields[name]
        if c.is_multiple(info) and isinstance(value, str):
            value = tuple(part.strip() for part in value.split(";") if part.strip())
        if c.is_flag(info) and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in TRUE + FALSE:
                raise ValueError(f"{column}: must be true or false, got {value!r}")
            value = lowered in TRUE
        values[name] = value
    return values


def _records(path: Path):
    text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Excel's CSV) is not data
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
        records = list(xlsx_records(path) if path.suffix.lower() == ".xlsx" else _records(path))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(f"file: cannot read {str(path)!r}: {error}") from None
    if len(records) > MAX_LINES:
        raise InvalidInput(f"file: at most {MAX_LINES} lines, got {len(records)}")
    commands, errors = [], []
    for number, record, problem in records:
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        name = record.get("command")
        model = c.COMMANDS.get(name.strip() if isinstance(name, str) else name)
        if model is None:
            errors.append(f"line {number}: command: must be one of {', '.join(c.COMMANDS)}, got {name!r}")
            continue
        try:
            values = _normalise(model, record)
        except ValueError as error:
            errors.append(f"line {number}: {error}")
            continue
        try:
            commands.append((number, c.parse(model, **values)))
        except InvalidInput as error:
            errors.append(f"line {number}: {error}")
    if not commands and not errors:
        errors.append("file: no commands")
    return commands, errors
