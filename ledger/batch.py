"""Batch import: a CSV file with a `command` column, or JSON Lines, of the CLI's write commands.

The whole file is checked in one pass: every line is parsed and validated, and every line that
parses is decided against the ledger in memory (rules and permissions), so format, rule and
permission errors come back together, each with its line number. Nothing is written unless
every line is valid and every decision is allowed.
"""

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from grants.domain import commands as c  # the command models define the columns
from grants.domain.errors import GrantsError, InvalidInput, quoted
from grants.domain.i18n import _
from grants.ledger.gc_pause import collector_paused
from grants.ledger.progress import Progress
from grants.ledger.xlsx_import import xlsx_records  # .xlsx workbooks, same columns

MAX_LINES = 1_000_000


@c.per_form
def columns_of(model: type[c.Command]) -> dict[str, str]:
    """Every column a line of this command may use -> its field: the field name, the CLI
    option's name (with dashes or underscores) and the option's own name (`partner`)."""
    found = {}
    for spec in c.fields_of(model):
        name = spec.name
        for alias in {name, name.replace("_", "-"), *((spec.kind.option, ) if spec.kind.option else ())}:
            found[alias] = name
    return found


def _normalise(model: type[c.Command], raw: dict) -> dict:
    """A line's cells as the model's fields; empty cells are absent. A list is read as the CLI
    reads it, `;` between partners; a flag's words are the field's check (commands.flag)."""
    values: dict[str, Any] = {}
    plan = _plan(model.name, tuple(raw))
    for key, name, column, multiple in plan:
        value = raw[key]
        if _empty(value):
            continue  # a CSV file has every command's columns; each line fills its own
        if name is None:
            raise ValueError(f"{column}: " + _("not an option of {command}").format(command=model.name))
        if name in values:  # `wage_cost` and `--wage-cost` on one line: which one was meant?
            other = next(given for given, named, _, _ in plan if named == name and not _empty(raw[given]))
            raise ValueError(f"{key.strip()}: " + _("the same field as column {other}; give one of them").format(
                other=quoted(other.strip())))
        if multiple and isinstance(value, str):
            value = tuple(part.strip() for part in value.split(";") if part.strip())
        values[name] = value
    return values


def _empty(value: object) -> bool:
    return value is None or (type(value) is str and (not value or value.isspace()))


@lru_cache(maxsize=256)  # JSON Lines may name other columns on every line: bounded
def _plan(command: str, keys: tuple) -> tuple[tuple[str, str | None, str, bool], ...]:
    """What to do with each column of a line, worked out once per command and set of columns
    (every line of a CSV file has the same; JSON Lines of one command mostly do): (column, its
    field or None when the command has no such option, the column as tidied for the message
    that says so, whether the field is a list). The `command` column is left out."""
    if None in keys:
        raise ValueError(_("more cells than columns"))
    model = c.COMMANDS[command]
    columns = columns_of(model)
    multiple = {spec.name for spec in c.fields_of(model) if spec.kind.multiple}
    plan = []
    for key in keys:
        column = key.strip().removeprefix("--")
        if column == "command":
            continue
        name = columns.get(key) or columns.get(column) or columns.get(column.replace("_", "-"))
        plan.append((key, name, column, name in multiple))
    return tuple(plan)


def _json_line(line: str) -> Any:
    """One JSON Lines record as json.loads reads it, parsed by orjson (C) where that is the same:
    a record with a float (orjson reads an integer beyond 64 bits as one; json reads it exactly),
    a list or an object inside, or a line orjson refuses (json's message names the problem) goes
    through json."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if type(record) is dict and _FLAT.issuperset(map(type, record.values())):  # in C: no Python per value
        return record
    return json.loads(line)


_FLAT = frozenset({str, int, bool, type(None)})


# A letter beyond ASCII as UTF-8 writes it (ø is C3 B8): a file holding one is UTF-8 throughout.
UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _text(path: Path) -> str:
    """UTF-8 (a byte-order mark, as Excel's "CSV UTF-8" writes, is not data); UTF-16 with its
    byte-order mark (Excel's "Unicode text"); else Windows-1252, what Excel's plain CSV,
    semicolon-separated in Norwegian, writes on Windows. A UTF-8 file with a byte that is not
    UTF-8 is refused, naming its line, rather than read with every æ, ø and å garbled."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if UTF8_LETTER.search(data):
            raise InvalidInput("file: " + _("line {number} is not UTF-8 text, as the rest of the file is").format(
                number=data.count(b"\n", 0, error.start) + 1)) from None
        return data.decode("cp1252")


def checked_header(header: list[str]) -> list[str]:
    """A file's column names without surrounding spaces; refused when none is `command` or one is
    named twice (a dict of the line would keep one value and drop the other)."""
    names = [name.strip() for name in header]
    if "command" not in names:
        raise InvalidInput("file: " + _("the first line names no command column; it names {columns}").format(
            columns=", ".join(quoted(name) for name in names[:12])))
    twice = next((name for name in names if name and names.count(name) > 1), None)
    if twice is not None:
        raise InvalidInput("file: " + _("the first line names column {name} twice").format(name=quoted(twice)))
    return names


def _records(path: Path):
    text = _text(path)
    first = text.lstrip()[:1]
    if first == "{":
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                try:
                    record = _json_line(line)
                except json.JSONDecodeError as error:
                    yield number, None, _("not valid JSON ({problem})").format(problem=error.msg)
                    continue
                if not isinstance(record, dict):
                    yield number, None, _("a line must be a JSON object")
                    continue
                yield number, record, None
    else:
        # Excel in Norwegian saves "CSV (semikolondelt)": `;` between cells, since `,` is the
        # decimal comma (0,5); tab-separated text too. The header names columns only, so the
        # separator is the one it holds most of.
        first_line = next((line for line in text.split("\n") if line.strip(",;\t \r")), "")
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=max(",;\t", key=first_line.count))
        header = next((row for row in rows if any(map(str.strip, row))), None)  # blank lines before it too
        if header is None:
            return  # an empty file: no commands
        header = checked_header(header)
        ended = rows.line_num  # a record is numbered by its first line (a quoted cell may span lines)
        for row in rows:
            starts, ended = ended + 1, rows.line_num
            if not any(map(str.strip, row)):  # a blank line, or separators only (Excel's formatted rows)
                continue
            cells: dict[str | None, Any] = dict(zip(header, row, strict=False))  # as csv.DictReader makes it:
            if len(row) > len(header):
                cells[None] = row[len(header):]  # cells beyond the header (refused by _normalise)
            for column in header[len(row):]:
                cells[column] = None
            yield starts, cells, None


@dataclass
class Parsed:
    """A file's lines as commands, one problem per bad line, and the ref each bad line named."""

    commands: list[tuple[int, c.Command]] = field(default_factory=list)
    problems: list[tuple[int, GrantsError]] = field(default_factory=list)
    bad_refs: dict[str, int] = field(default_factory=dict)  # ref -> its first bad line

    def bad(self, number: int, message: str, record: dict | None) -> None:
        self.problems.append((number, InvalidInput(message)))
        ref = record.get("ref") if record else None
        if isinstance(ref, str):  # problems arrive by stage, not by line: keep the first line
            self.bad_refs[ref.strip()] = min(number, self.bad_refs.get(ref.strip(), number))


@dataclass
class Outcome:
    """What an import did: events written (0 unless every line was good), every problem sorted
    by line, and the lines not decided because an earlier line of the same position failed."""

    lines: int
    written: int
    problems: list[tuple[int, GrantsError]]
    not_checked: list[int]

    @property
    def exit_code(self) -> int:
        """The most specific code among the problems (as for one command's problems)."""
        return max((error.exit_code for _, error in self.problems), default=0)


def parse_file(path: Path, progress: Progress | None = None) -> Parsed:
    """Every line as a command model, and one problem per bad line."""
    try:
        records = list(xlsx_records(path) if path.suffix.lower() == ".xlsx" else _records(path))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput("file: " + _("cannot read {path}: {problem}").format(
            path=repr(str(path)), problem=getattr(error, "strerror", None) or error)) from None
    if len(records) > MAX_LINES:
        raise InvalidInput("file: " + _("at most {most} lines, got {lines}").format(most=MAX_LINES, lines=len(records)))
    parsed = Parsed()
    by_model: dict[type[c.Command], list[tuple[int, dict, dict]]] = {}
    for done, (number, record, problem) in enumerate(records, start=1):
        if progress is not None and done % 1000 == 0:
            progress("read", done, len(records))
        if problem:
            parsed.bad(number, _("line {number}: {problem}").format(number=number, problem=problem), None)
            continue
        name = record.get("command")
        model = c.COMMANDS.get(name.strip() if isinstance(name, str) else name)
        if model is None:
            problem = (_("is required (one of {choices})") if name is None or name == "" else
                       _("must be one of {choices}, got {given}")).format(choices=", ".join(c.COMMANDS),
                                                                         given=quoted(name))
            parsed.bad(number, _("line {number}: {problem}").format(number=number, problem="command: " + problem),
                       record)
            continue
        try:
            by_model.setdefault(model, []).append((number, _normalise(model, record), record))
        except (ValueError, InvalidInput) as error:
            parsed.bad(number, _("line {number}: {problem}").format(number=number, problem=error), record)
    for model, lines in by_model.items():
        parsed.commands += _validated(model, lines, parsed)
    parsed.commands.sort(key=lambda item: item[0])
    if progress is not None:
        progress("read", len(records), len(records))
    if not parsed.commands and not parsed.problems:
        parsed.problems.append((0, InvalidInput("file: " + _("no commands"))))
    return parsed


@c.per_form
def _adapter(model: type[c.Command]) -> Any:
    """One validator for a list of this command's lines. pydantic's plugins (found through the
    installed packages' entry points) are not asked to watch it unless the user names them."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from pydantic import TypeAdapter

    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _validated(model: type[c.Command], lines: list[tuple[int, dict, dict]], parsed: Parsed,
               ) -> list[tuple[int, c.Command]]:
    """Every line of one command validated in one call (no per-line model construction in Python);
    if any line is bad, each line on its own, so every bad line gets its own message."""
    from pydantic import ValidationError

    try:
        commands = _adapter(model).validate_python([values for _, values, _ in lines])
        return [(number, command) for (number, _, _), command in zip(lines, commands, strict=True)]
    except ValidationError:
        pass
    good = []
    for number, values, record in lines:
        try:
            good.append((number, c.parse(model, **values)))
        except (ValueError, InvalidInput) as error:
            parsed.bad(number, _("line {number}: {problem}").format(number=number, problem=error), record)
    return good


def import_file(ledger: Any, path: Path, progress: Progress | None = None) -> Outcome:
    """Check the whole file (format, then every good line against the rules and permissions, in
    memory) and write it in one transaction only if no line has a problem."""
    with collector_paused():  # every line's command and events live until the write: see gc_pause
        parsed = parse_file(path, progress)
        written, refused = ledger.execute_all(parsed.commands, failed_refs=parsed.bad_refs,
                                              check_only=bool(parsed.problems), progress=progress)
    refusals = [(line, _numbered(line, error)) for line, error in refused]
    problems = sorted(parsed.problems + refusals, key=lambda item: item[0])
    refs, failed = dict(parsed.commands), dict(parsed.bad_refs)
    for line, _error in refused:  # in line order, so the first failure of each ref is kept
        failed.setdefault(refs[line].ref, line)
    not_checked = [line for line, cmd in parsed.commands if failed.get(cmd.ref, line) < line]
    return Outcome(len(parsed.commands) + len(parsed.problems), written, problems, not_checked)


def _numbered(line: int, error: GrantsError) -> GrantsError:
    """The same error, its message starting with its line number."""
    return type(error)(_("line {number}: {problem}").format(number=line, problem=error))
