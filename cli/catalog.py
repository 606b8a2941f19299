"""The message catalogue for translators and developers: extract, update, compile, check.

    python -m grants.cli.catalog update    # every message into locale/nb/LC_MESSAGES/grants.po
    python -m grants.cli.catalog compile   # grants.po -> grants.mo (what `grants` reads)
    python -m grants.cli.catalog check     # exit 1 naming each message without a usable translation

Never imported by `grants` itself; it needs babel (`pip install -e '.[dev]'`). The messages are
(docs/i18n.md, "For translators"):

1. every string marked in the code: `_("...")`, `N_("...")`, `ngettext("...", "...", n)`
   (babel's Python extractor over the four packages);
2. every help text as `grants ... --help` shows it: command help and short help (docstrings,
   `help=`), option help (`help=`, the command models' `arg(about=...)`), collected by
   rendering every help page with a catalogue that records what is looked up;
3. click's own words (Usage:, Options, Missing option, ...), from click's source;
4. the scheme titles and rule notes of domain/data/rules.json, shown by `explain` and completion.
"""

from __future__ import annotations

import io
import json
import re
import string
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from grants.cli import language

PACKAGES = ("grants.domain", "grants.ledger", "grants.projections", "grants.cli")
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("Translators:",)
PO_FILE = language.LOCALE_DIR / "nb" / "LC_MESSAGES" / f"{language.DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")
CLICK_SOURCES = ("core", "exceptions", "parser", "types", "formatting", "decorators")
# click's messages that only a developer of grants can meet (click's own set-up errors); every
# other click message is translated, and a new one in a later click fails `check`.
CLICK_INTERNAL = frozenset({
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Unknown standard stream '{name}'",
    "Value must be an iterable.",
    "Invalid start character for option ({option})",
    "Do you want to continue?",
    "Confirm the action without prompting.",
})
CLICK_DYNAMIC = ("required",)  # looked up by click under a name it builds at run time
HEADER = ("# Norwegian bokmål messages of grants-ledger: messages, headings and help.\n"
          "# Update, translate, compile and check as docs/i18n.md says; grants reads the compiled grants.mo.")


Message = str | tuple[str, str]  # a message, or a (singular, plural) pair


def extract() -> Any:
    """Every message of grants as a babel Catalog (the template, without translations)."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="grants-ledger", domain=language.DOMAIN, charset="utf-8")
    for message, location, comments in _everything():
        catalog.add(message, locations=[location], auto_comments=comments)
    return catalog


def _everything() -> Iterator[tuple[Message, tuple[str, int | None], list[str]]]:
    yield from _marked_in_code()
    yield from _click_messages()
    for message, where in help_messages().items():
        yield message, (f"help/{where.replace(' ', '/')}", None), []
    yield from _rules_data()


def _marked_in_code() -> Iterator[tuple[Message, tuple[str, int | None], list[str]]]:
    from babel.messages.extract import extract_from_dir

    root = _package_dir("grants.domain").parent
    for package in PACKAGES:
        folder = _package_dir(package)
        for filename, lineno, message, comments, _context in extract_from_dir(
                str(folder), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
                strip_comment_tags=True):
            path = (folder / filename).resolve()
            where = path.relative_to(root) if path.is_relative_to(root) else Path(filename)
            yield message, (where.as_posix(), lineno), list(comments)


def _click_messages() -> Iterator[tuple[Message, tuple[str, int | None], list[str]]]:
    from babel.messages.extract import extract_from_file

    folder = Path(click.__file__).parent
    for module in CLICK_SOURCES:
        for lineno, message, _comments, _context in extract_from_file(
                "python", str(folder / f"{module}.py"), keywords={"_": None, "ngettext": (1, 2)}):
            if (message if isinstance(message, str) else message[0]) not in CLICK_INTERNAL:
                yield message, (f"click/{module}.py", lineno), []
    for message in CLICK_DYNAMIC:
        yield message, ("click/core.py", None), []


def _rules_data() -> Iterator[tuple[Message, tuple[str, int | None], list[str]]]:
    from grants.domain.rules import RULES_FILE

    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for scheme in data["schemes"].values():
        yield scheme["title"], ("domain/data/rules.json", None), ["a scheme's title"]
    for rule in data["rules"]:
        if rule.get("note"):
            yield rule["note"], ("domain/data/rules.json", None), [f"the note of rule {rule['id']}"]


def _package_dir(package: str) -> Path:
    module = sys.modules.get(package) or __import__(package, fromlist=["_"])
    return Path(module.__file__).parent


class Recorder:
    """A catalogue that translates nothing and remembers every message looked up, and where."""

    def __init__(self) -> None:
        self.seen: dict[Message, str] = {}
        self.where = ""

    def gettext(self, message: str, /) -> str:
        self.seen.setdefault(message, self.where)
        return message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        self.seen.setdefault((singular, plural), self.where)
        return singular if n == 1 else plural


def help_messages() -> dict[Message, str]:
    """Every text looked up while rendering `grants --help` and every command's `--help`, with
    the command it was first seen in."""
    from grants.cli.main import cli

    recorder = Recorder()
    language.use_catalogue(recorder, "en")
    try:
        recorder.where = "grants"
        root = language.localised(cli)
        ctx = click.Context(root, info_name="grants")
        for name in root.list_commands(ctx):
            _render(root, name, ctx, recorder)
        recorder.where = "grants"
        root.get_help(ctx)
    finally:
        language.install("en")
    return recorder.seen


def _render(group: Any, name: str, parent: click.Context, recorder: Recorder) -> None:
    """Render `name`'s help (and its subcommands'), noting it as where each text was first seen."""
    path = " ".join([*parent.command_path.split()[1:], name])
    recorder.where = path
    command = group.get_command(parent, name)
    ctx = click.Context(command, info_name=name, parent=parent)
    command.get_help(ctx)
    for sub in getattr(command, "commands", {}):
        _render(command, sub, ctx, recorder)


# --- the translations ---------------------------------------------------------------------------

def read() -> Any:
    """The Norwegian catalogue as committed (grants.po)."""
    from babel.messages.pofile import read_po

    with open(PO_FILE, "rb") as f:
        return read_po(f, locale="nb", domain=language.DOMAIN)


def update() -> Any:
    """Merge the extracted messages into grants.po: new ones come untranslated (or fuzzy, from a
    similar old message), messages no longer in the code are dropped."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract()
    if PO_FILE.exists():
        catalog = read()
    else:
        catalog = Catalog(locale="nb", domain=language.DOMAIN, project="grants-ledger", charset="utf-8")
    catalog.update(template)
    catalog.header_comment = HEADER
    catalog.fuzzy = False
    catalog.version = "0.1.0"
    catalog.revision_date = datetime.now(UTC)
    catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = "grants-ledger"
    PO_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(PO_FILE, "wb") as f:
        write_po(f, catalog, width=100, ignore_obsolete=True, sort_output=False)
    return catalog


def compiled(catalog: Any) -> bytes:
    """The .mo file of a catalogue (what gettext reads), fuzzy translations left out."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_mo() -> None:
    MO_FILE.write_bytes(compiled(read()))


PLACEHOLDER_FORMAT = string.Formatter()
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # a field named in a message: over_frame
FIELD_PREFIX = re.compile(r"^(db|database): ")  # a storage message's field (`db:`), kept as it is


def problems(catalog: Any, template: Any) -> list[str]:
    """What keeps a message from being shown translated: missing, empty or fuzzy, or a
    translation that drops a placeholder, an option, a field name or a no-rewrap mark (\\b)."""
    found = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        name = message.id if isinstance(message.id, str) else message.id[0]
        where = ", ".join(f"{path}:{line}" if line else path for path, line in message.locations[:2])
        if translated is None or not _filled(translated.string):
            found.append(f"untranslated ({where}): {name!r}")
        elif translated.fuzzy:
            found.append(f"fuzzy, to be checked ({where}): {name!r}")
        else:
            found += [f"{problem} ({where}): {name!r}" for problem in _differences(message.id, translated.string)]
    return found


def _filled(text: Any) -> bool:
    return all(text) if isinstance(text, (tuple, list)) else bool(text)


def _differences(original: Message, translation: Any) -> list[str]:
    originals = [original] if isinstance(original, str) else list(original)
    translations = [translation] if isinstance(translation, str) else list(translation)
    found = []
    for text in translations:
        if _placeholders(text) != _placeholders(originals[-1]) and _placeholders(text) != _placeholders(originals[0]):
            found.append(f"placeholders {sorted(_placeholders(originals[0]))} became {sorted(_placeholders(text))}")
        for pattern, what in ((OPTION, "option"), (IDENTIFIER, "field name")):
            lost = set(pattern.findall(originals[0])) - set(pattern.findall(text))
            if lost:
                found.append(f"{what} {', '.join(sorted(lost))} missing from the translation")
        prefix = FIELD_PREFIX.match(originals[0])
        if prefix and not text.startswith(prefix.group()):
            found.append(f"the prefix {prefix.group()!r} must stay as it is")
        if originals[0].count("\b") != text.count("\b"):
            found.append("a no-rewrap mark (\\b) was lost or added")
    return found


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _literal, name, _spec, _conversion in PLACEHOLDER_FORMAT.parse(text) if name is not None}
    except ValueError:
        return {"<malformed>"}


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    if action == "update":
        catalog = update()
        click.echo(f"{PO_FILE}: {len(catalog)} messages")
    elif action == "compile":
        compile_mo()
        click.echo(f"{MO_FILE} written")
    elif action == "check":
        found = problems(read(), extract())
        if MO_FILE.read_bytes() != compiled(read()):
            found.append(f"{MO_FILE.name} is not the compilation of {PO_FILE.name}: run compile")
        for line in found:
            click.echo(line)
        return 1 if found else 0
    else:
        click.echo(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
