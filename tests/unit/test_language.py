"""The Norwegian catalogue is complete and compiled, the language is chosen as documented, and
English costs nothing (docs/i18n.md)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from grants.cli import catalog, language
from grants.cli.output import HEADINGS

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_in_the_code_help_and_click_has_its_norwegian_translation():
    template = catalog.extract()
    assert len(template) > 600  # messages, help texts, click's words and the rules' notes
    assert catalog.problems(catalog.read(), template) == []


def test_a_message_without_its_translation_is_named():
    template = catalog.extract()
    template.add("a message nobody translated yet", locations=[("domain/new.py", 7)])
    assert catalog.problems(catalog.read(), template) == [
        "untranslated (domain/new.py:7): 'a message nobody translated yet'"]


def test_a_translation_that_drops_a_placeholder_an_option_or_a_field_name_is_named():
    assert catalog._differences("{ref} was applied for {first}", "{ref} er søkt for") == [
        "placeholders ['first', 'ref'] became ['ref']"]
    assert catalog._differences("give --amount", "oppgi beløpet") == ["option --amount missing from the translation"]
    assert catalog._differences("(over_frame with a reason)", "(med begrunnelse)") == [
        "field name over_frame missing from the translation"]
    assert catalog._differences("db: no ledger", "ingen register") == ["the prefix 'db: ' must stay as it is"]


def test_the_committed_mo_is_the_compilation_of_the_po():
    assert catalog.MO_FILE.read_bytes() == catalog.compiled(catalog.read()), \
        "run: python -m grants.cli.catalog compile"


def test_every_column_a_table_shows_has_a_heading_in_words():
    from grants.cli import admin, auditor, demo, reports, views

    shown = {*auditor.SHOW_FIELDS, "partners", "terminated", "rejected", *auditor.HISTORY_COLUMNS,
             *views.YEAR_COLUMNS, *views.REPORT_COLUMNS, *admin.USER_COLUMNS, *admin.STATUS_COLUMNS, "state",
             *admin.DIFFERENCE_COLUMNS, *demo.ENDS_COLUMNS, *reports.EXPIRY_COLUMNS, *reports.WINDDOWN_COLUMNS,
             *reports.VIOLATION_COLUMNS, *reports.COMPLIANCE_COLUMNS, *reports.FRAME_COLUMNS,
             *(column for columns in reports.FUNDING_COLUMNS.values() for column in columns)}
    assert sorted(shown - set(HEADINGS)) == []


@pytest.mark.parametrize(("environ", "chosen"), [
    ({}, "en"),
    ({"LANG": "nb_NO.UTF-8"}, "nb"),
    ({"LANG": "no_NO"}, "nb"),  # the older name of the bokmål locale
    ({"LANG": "nn_NO.UTF-8"}, "nb"),  # nynorsk readers get bokmål: there is no nynorsk catalogue
    ({"LC_MESSAGES": "nb_NO.UTF-8", "LANG": "en_GB.UTF-8"}, "nb"),
    ({"LC_ALL": "C", "LANG": "nb_NO.UTF-8"}, "en"),  # the first variable set decides, as in gettext
    ({"LANGUAGE": "sv:nb", "LANG": "C"}, "nb"),  # a list: the first language there is a catalogue for
    ({"LANGUAGE": "en:nb", "LANG": "nb_NO.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # an unknown language falls back to English
    ({"LANGUAGE": "", "LANG": "nb_NO@euro"}, "nb"),  # an empty variable is not set
])
def test_the_locale_chooses_the_language_as_gettext_reads_it(environ, chosen):
    assert language.from_environment(environ) == chosen


@pytest.mark.parametrize(("args", "chosen"), [
    (["show", "R"], None),
    (["--lang", "nb", "show", "R"], "nb"),
    (["show", "R", "--lang=NB"], "nb"),
    (["--lang", "nb", "show", "R", "--lang", "en"], "en"),  # the last one given wins
    (["import", "--", "--lang", "nb"], None),  # after --, an argument
    (["--lang", "xx"], None),  # left to click, which refuses it (exit 2)
])
def test_lang_on_the_command_line_overrides_the_locale(args, chosen):
    assert language.from_arguments(args) == chosen
    assert language.choose(args, {"LANG": "nb_NO.UTF-8"}) == (chosen or "nb")


def test_english_reads_no_catalogue_and_imports_no_babel():
    done = _help_reading_no_catalogue([])
    assert done.returncode == 0, done.stderr
    assert "Caseworkers: record decisions" in done.stdout
    norwegian = _help_reading_no_catalogue(["--lang", "nb"])  # the probe does see a catalogue being read
    assert norwegian.returncode == 1 and "a catalogue was read" in norwegian.stderr


def _help_reading_no_catalogue(options: list[str]) -> subprocess.CompletedProcess:
    """`grants --help` in a fresh interpreter where reading any .mo file fails, and babel must stay unloaded."""
    probe = ("import gettext, sys\n"
             "def refuse(*args, **kwargs): raise AssertionError('a catalogue was read')\n"
             "gettext.GNUTranslations._parse = refuse\n"  # what reading any .mo file goes through
             "from grants.cli.main import cli\n"
             f"try:\n    cli.main({[*options, '--help']!r}, prog_name='grants')\n"
             "except SystemExit as end:\n    assert end.code == 0, end.code\n"
             "assert 'babel' not in sys.modules\n")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env={"LANG": "C.UTF-8"},
                          cwd=ROOT)


def test_no_function_hides_the_translation_function_behind_a_local_variable():
    """`for _, x in pairs` in a function that also calls `_()` would fail only when that line runs."""
    found = []
    for folder in ("domain", "ledger", "projections", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    assigned, called = _underscore_use(function)
                    if assigned and called:
                        found.append(f"{path.relative_to(ROOT)}:{function.lineno} {function.name}")
    assert found == []


def _underscore_use(function: ast.AST) -> tuple[bool, bool]:
    """Whether `_` is assigned in the function's own scope, and whether `_()` is called in it."""
    assigned = called = False
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)
    pending = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
            called = True
        if isinstance(node, scopes):  # its own scope: assignments there do not hide the function's `_`
            called = called or any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                                   for n in ast.walk(node))
            continue
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            assigned = True
        pending.extend(ast.iter_child_nodes(node))
    return assigned, called
