"""Excel: reports and export as workbooks (numbers, kroner format, dates, frozen header, a sheet
per table), and `grants import` reading the workbook `export` writes."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from grants.cli.main import cli
from tests.conftest import created


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def filled(grants):
    """Every caseworker command once, on a ladder and an amount-based scheme."""
    ok(grants("apply", "A/1", "--kommune", "3401", "--scheme", "765.62", "--title", "Ruskonsulent", "--fte", "1",
              "--year", "2020", "--received", "2020-02-01", "--wage-cost", "700000", "--partners", "NAV",
              "--partners", "Frelsesarmeen"))
    ok(grants("grant", "A/1", "--year", "2020", "--ladder-year", "2", "--reason", "funded since 2019",
              "--decided", "2020-03-01"))                                                     # 550 000
    ok(grants("advance", "A/1", "--year", "2021", "--decided", "2021-01-15"))                 # 440 000
    ok(grants("reduce-fte", "A/1", "--fte", "0.5", "--effective", "2021-07-01", "--reason", "vacancy"))  # 330 000
    ok(grants("report", "A/1", "--year", "2021", "--spent", "300000", "--fte-filled", "0.5",
              "--self-financing", "200000", "--received", "2022-02-01"))                      # reclaim 30 000
    ok(grants("terminate", "A/1", "--cause", "withdrawn", "--reason", "moved", "--effective", "2021-12-31"))
    ok(grants("apply", "B/1", "--kommune", "4601", "--scheme", "765.62-new", "--title", "Oppsøkende", "--fte",
              "0.8", "--year", "2023", "--received", "2023-03-01"))
    ok(grants("grant", "B/1", "--year", "2023", "--amount", "400000", "--decided", "2023-04-01"))
    ok(grants("apply", "C/1", "--kommune", "0301", "--scheme", "765.62-new", "--title", "t", "--fte", "1",
              "--year", "2023", "--received", "2023-03-01"))
    ok(grants("reject", "C/1", "--reason", "outside the scheme", "--decided", "2023-04-01"))
    return grants


def test_a_report_workbook_has_numbers_kroner_format_and_a_frozen_header(filled, tmp_path):
    path = tmp_path / "funding.xlsx"
    ok(filled("funding", "--by", "position", "--format", "xlsx", "--output", str(path)))
    sheet = load_workbook(path)["funding"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["ref", "kommunenummer", "office", "scheme", "year", "ladder_year", "fte", "amount", "spent",
                      "to_reclaim", "rule_amount", "entitlement", "carried_in", "carried_out", "own_money",
                      "deviation"]
    row = dict(zip(header, sheet[3], strict=True))  # A/1 2021
    assert [row[k].value for k in ("ref", "year", "amount", "spent")] == ["A/1", 2021, 330000, 300000]
    assert row["amount"].number_format == "#,##0" and row["to_reclaim"].number_format == "#,##0"
    assert row["fte"].value == 0.5 and row["fte"].number_format == "0.00"
    assert row["year"].number_format == "General" and isinstance(row["year"].value, int)

    ok(filled("winddown", "--on", "2025-06-01", "--format", "xlsx", "--output", str(tmp_path / "w.xlsx")))
    book = load_workbook(tmp_path / "w.xlsx")
    assert book.sheetnames == ["per year", "violations"]
    assert [c.value for c in book["per year"]["A"]] == ["year", 2021, 2022, 2023, 2024]
    assert book["per year"]["D3"].value == 0 and book["per year"]["D2"].number_format == "#,##0"
    assert [c.value for c in book["violations"][1]] == ["ref", "office", "kommunenummer", "status", "last_funded",
                                                        "problem"]
    assert book["violations"].freeze_panes == "A2"


def test_xlsx_needs_an_output_file(filled):
    result = filled("compliance", "--format", "xlsx")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --output: --format xlsx writes a workbook; give --output FILE.xlsx (or - for stdout)"


def test_an_exported_workbook_imports_into_a_new_ledger_with_the_same_figures(filled, tmp_path):
    path = tmp_path / "ledger.xlsx"
    assert ok(filled("export", "--all", "--format", "xlsx", "--output", str(path))).stdout.startswith(
        "wrote 21 rows in 3 sheet(s)")  # 10 commands, 10 events, 1 manifest line
    book = load_workbook(path)
    assert book.sheetnames == ["commands", "events", "manifest"]
    events = book["events"]
    header = [c.value for c in events[1]]
    first = dict(zip(header, events[2], strict=True))
    assert first["event"].value == "Applied" and first["ref"].value == "A/1"
    assert first["effective"].value == datetime(2020, 2, 1) and first["effective"].number_format == "yyyy-mm-dd"
    assert isinstance(first["recorded"].value, datetime) and first["recorded"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert len(first["log_hash"].value) == 64
    commands = book["commands"]
    assert [c.value for c in commands["A"]][:4] == ["command", "apply", "grant", "advance"]

    one = tmp_path / "a1.xlsx"
    ok(filled("export", "A/1", "--format", "xlsx", "--output", str(one)))
    assert [c.value for c in load_workbook(one)["commands"]["A"]] == [
        "command", "apply", "grant", "advance", "reduce-fte", "report", "terminate"]

    other = created(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    copy = lambda *args: CliRunner().invoke(cli, ["--db", other, *args], env={"GRANTS_ACTOR": "kari.nordmann"})  # noqa: E731
    assert ok(copy("import", str(path))).stdout.strip() == "imported 10 commands, 10 events"
    for args in (("funding", "--by", "position", "--format", "json"), ("compliance", "--format", "json")):
        assert copy(*args).stdout == filled(*args).stdout
    for ref in ("A/1", "B/1", "C/1"):
        original, imported = (json.loads(run("show", ref, "--format", "json").stdout) for run in (filled, copy))
        original.pop("recorded"), imported.pop("recorded")
        assert imported == original


def test_a_hand_made_workbook_imports_typed_cells_and_names_bad_rows(grants, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["command", "ref", "kommune", "scheme", "title", "fte", "year", "received", "amount", "over-frame"])
    sheet.append(["apply", "X/1", 3401, "765.62-new", "Team", 0.5, 2023, date(2023, 3, 1), None, None])
    sheet.append(["grant", "X/1", None, None, None, None, 2023, None, 250000.0, False])
    book.save(tmp_path / "good.xlsx")
    ok(grants("import", str(tmp_path / "good.xlsx")))
    shown = json.loads(grants("show", "X/1", "--format", "json").stdout, parse_float=Decimal)  # FTE: a JSON number
    assert (str(shown["fte"]), shown["received"], shown["years"][0]["amount"]) == ("0.50", "2023-03-01", 250000)
    sheet.append(["apply", "X/2", 3401, "765.62-new", "Team", 1.5, 2023, None, None, None])
    book.save(tmp_path / "bad.xlsx")
    bad = grants("import", str(tmp_path / "bad.xlsx"))
    assert bad.exit_code == 6  # one pass: line 3 grants X/1 a second time (a rule, 6) and line 4 is malformed (2)
    assert bad.stderr.splitlines()[1] == "Error: line 4: fte: must be more than 0 and at most 1, got '1.5'"
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    broken = grants("import", str(tmp_path / "broken.xlsx"))
    assert broken.exit_code == 2 and "as an Excel workbook" in broken.stderr
    assert Decimal(shown["fte"]) == Decimal("0.5")


def test_a_team_grants_asked_for_rescale_survives_the_round_trip(grants, tmp_path):
    """765.60 keeps a team grant's amount on an FTE change unless --rescale asked otherwise: the
    exported command says so, or the copy would keep 800 000 where the ledger has 600 000."""
    ok(grants("apply", "T/1", "--kommune", "1804", "--scheme", "765.60-youth", "--title", "Team", "--fte", "2",
              "--year", "2021", "--received", "2021-02-01", "--other-costs", "100000"))
    ok(grants("grant", "T/1", "--year", "2021", "--amount", "800000", "--decided", "2021-03-01"))
    ok(grants("reduce-fte", "T/1", "--fte", "1", "--effective", "2021-07-01", "--rescale"))  # 800 000 x 9/12
    ok(grants("reduce-fte", "T/1", "--fte", "0.5", "--effective", "2021-10-01"))  # kept
    path = tmp_path / "team.xlsx"
    ok(grants("export", "T/1", "--format", "xlsx", "--output", str(path)))
    commands = load_workbook(path)["commands"]
    header = [c.value for c in commands[1]]
    assert [row[header.index("rescale")] for row in commands.iter_rows(min_row=2, values_only=True)] == [
        None, None, True, None]
    other_costs = commands.cell(row=2, column=header.index("other_costs") + 1)
    assert (other_costs.value, other_costs.number_format) == (100000, "#,##0")  # kroner, as every money column
    other = created(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    copy = lambda *args: CliRunner().invoke(cli, ["--db", other, *args], env={"GRANTS_ACTOR": "kari.nordmann"})  # noqa: E731
    ok(copy("import", str(path)))
    original, imported = (json.loads(run("show", "T/1", "--format", "json").stdout) for run in (grants, copy))
    assert original["years"][0]["amount"] == imported["years"][0]["amount"] == 600000
