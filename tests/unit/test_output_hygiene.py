"""Output a spreadsheet or a terminal cannot be driven by: CSV formulas neutralised, control
characters stripped from CSV and escaped in JSON (issue 11, item 6)."""

import json
from decimal import Decimal

from grants.cli.output import csv_cell, to_csv, to_json


def test_text_a_spreadsheet_would_run_gets_a_leading_quote_and_numbers_keep_their_sign():
    rows = [{"reason": "=HYPERLINK(\"http://x\")", "a": "+1", "b": "-2", "c": "@SUM(A1)", "left": -320_000,
             "fte": Decimal("-0.5"), "ok": "Ruskonsulent"}]
    assert to_csv(rows).splitlines()[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),-320000,-0.5,Ruskonsulent"


def test_control_characters_are_stripped_from_csv_also_before_a_formula():
    assert csv_cell("a\x1b[31mb\x07c\u2028d\x9b") == "a[31mbcd"
    assert csv_cell("\t=1+1") == "'=1+1" and csv_cell("\r\n-3") == "'-3"
    assert "\n" not in to_csv([{"t": "two\nlines"}]).splitlines()[1]


def test_json_escapes_every_control_character_and_still_decodes_to_the_same_text():
    text = to_json({"title": "a\x1bb\x9bc\u2028d\x7f"})
    assert all(ch not in text for ch in "\x1b\x9b\u2028\x7f")
    assert json.loads(text) == {"title": "a\x1bb\x9bc\u2028d\x7f"}


def test_a_reason_typed_as_a_formula_reaches_the_history_csv_neutralised(grants):
    assert grants("apply", "F/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
                  "--year", "2021").exit_code == 0
    assert grants("reject", "F/1", "--reason", "=cmd|' /C calc'!A0").exit_code == 0
    lines = grants("history", "F/1", "--format", "csv").stdout.splitlines()
    assert ",'=cmd|' /C calc'!A0," in lines[2]  # the reason cell, before the login


def test_a_table_formats_equal_values_that_print_differently_each_as_written():
    """The table formats each distinct value once; values equal in Python but written apart
    (Decimal 0.5 and 0.50, True and 1) and unhashable ones keep their own text and alignment."""
    from grants.cli.output import table

    rows = [{"note": Decimal("0.5"), "flag": True, "n": 1, "tags": ["a"]},
            {"note": Decimal("0.50"), "flag": 1, "n": 22, "tags": ["b", "c"]},
            {"note": None, "flag": False, "n": None, "tags": ["a"]}]
    assert table(rows).splitlines() == [
        "note  flag    n  tags",
        "----  -----  --  ----------",
        " 0.5  true    1  ['a']",
        "0.50  1      22  ['b', 'c']",
        "      false      ['a']",
    ]
