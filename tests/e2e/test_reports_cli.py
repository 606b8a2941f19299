"""Batch import, frames and reports through the CLI."""

import json
import re
import sqlite3
from decimal import Decimal

import pytest

from tests.e2e.test_cli import event_count

GOOD_CSV = """command,ref,kommune,scheme,title,fte,year,amount,received,spent,over-frame,reason
apply,B/1,0301,765.62,Team,1,2019,,2019-02-01,,,
grant,B/1,,,,,2019,,,,,
advance,B/1,,,,,2020,,,,,
apply,B/2,4601,765.62-new,Oppsøkende,0.5,2023,,2023-03-01,,,
grant,B/2,,,,,2023,300000,,,,
report,B/2,,,,,2023,,2024-02-01,250000,,
"""


def test_a_csv_batch_is_imported_whole_and_reported(grants, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = grants("import", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 6 commands, 6 events" in result.stdout
    rows = json.loads(grants("funding", "--by", "position", "--format", "json").stdout)
    assert [(r["ref"], r["year"], r["amount"], r["spent"], r["to_reclaim"]) for r in rows] == [
        ("B/1", 2019, 660000, None, None), ("B/1", 2020, 550000, None, None), ("B/2", 2023, 300000, 250000, 50000)]
    csv_out = grants("funding", "--by", "office", "--year", "2023", "--format", "csv").stdout.splitlines()
    assert csv_out == ["year,office,positions,fte,amount,spent,to_reclaim", "2023,vestland,1,0.50,300000,250000,50000"]


def test_a_csv_as_norwegian_excel_saves_it_semicolons_and_decimal_commas_imports_the_same(grants, tmp_path):
    """Excel in Norwegian saves "CSV (semikolondelt)": `;` between cells, `0,5` for a half."""
    path = tmp_path / "batch.csv"
    path.write_text(GOOD_CSV.replace(",", ";").replace(";0.5;", ";0,5;"), encoding="utf-8-sig")
    result = grants("import", str(path))
    assert (result.exit_code, result.stdout) == (0, "imported 6 commands, 6 events\n")
    rows = json.loads(grants("funding", "--by", "position", "--format", "json").stdout)
    assert [(r["ref"], r["year"], r["fte"], r["amount"]) for r in rows] == [
        ("B/1", 2019, 1, 660000), ("B/1", 2020, 1, 550000), ("B/2", 2023, Decimal("0.5"), 300000)]


def test_a_batch_with_bad_lines_reports_each_line_and_writes_nothing(grants, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([
        json.dumps({"command": "apply", "ref": "J/1", "kommune": "3401", "scheme": "765.62", "title": "t",
                    "fte": "1", "year": 2021}),
        json.dumps({"command": "apply", "ref": "J/2", "kommune": "3401", "scheme": "765.62", "title": "t",
                    "fte": "1.5", "year": 2021}),
        "{not json",
        json.dumps({"command": "fly", "ref": "J/3"}),
    ]), encoding="utf-8")
    result = grants("import", str(path))
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert errors[0] == "Error: line 2: fte: must be more than 0 and at most 1, got '1.5'"
    assert errors[1].startswith("Error: line 3: not valid JSON")
    assert errors[2].startswith("Error: line 4: command: must be one of")
    assert errors[3] == "Error: 3 bad line(s); nothing was written"
    assert event_count(grants.url) == 0


def test_a_batch_whose_decisions_break_a_rule_writes_nothing(grants, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(GOOD_CSV + "advance,B/1,,,,,2022,,,,,\n", encoding="utf-8")
    result = grants("import", str(path))
    assert result.exit_code == 6
    assert result.stderr.splitlines() == ["Error: line 8: year: 'B/1' can only advance to 2021, got 2022 (a later "
                                          "year resumes funding after a gap, with a reason)",
                                          "Error: 1 bad line(s); nothing was written"]
    assert event_count(grants.url) == 0


def test_a_frame_refuses_a_grant_over_it_until_overridden_and_the_report_shows_it(grants):
    grants("apply", "F/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    grants("apply", "F/2", "--kommune", "3403", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    set_frame = grants("frame", "set", "--office", "innlandet", "--scheme", "765.62", "--year", "2021",
                       "--amount", "1000000")
    assert set_frame.exit_code == 0, set_frame.output
    assert grants("grant", "F/1", "--year", "2021").exit_code == 0
    refused = grants("grant", "F/2", "--year", "2021")
    assert refused.exit_code == 6
    # The ladder computed the amount for --year, so the refusal names --year; a given amount, --amount.
    assert refused.stderr == ("Error: --year: innlandet 765.62 2021 frame is 1 000 000, 660 000 already granted; "
                              "660 000 more exceeds it (--over-frame with a reason overrides)\n")
    given = grants("grant", "F/2", "--year", "2021", "--amount", "400000", "--reason", "discretionary")
    assert (given.exit_code, given.stderr) == (6, "Error: --amount: innlandet 765.62 2021 frame is 1 000 000, "
                                                  "660 000 already granted; 400 000 more exceeds it (--over-frame "
                                                  "with a reason overrides)\n")
    no_reason = grants("grant", "F/2", "--year", "2021", "--over-frame")
    assert (no_reason.exit_code, no_reason.stderr) == (2, "Error: --reason: is required to grant over the frame\n")
    assert grants("grant", "F/2", "--year", "2021", "--over-frame", "--reason", "director approved").exit_code == 0
    [row] = json.loads(grants("frames", "--format", "json").stdout)
    assert (row["frame"], row["granted"], row["left"], row["over_frame_grants"]) == (1000000, 1320000, -320000, 1)


def test_projections_status_shows_lag_until_a_report_catches_up_and_rebuild_matches(grants):
    grants("apply", "S/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    grants("grant", "S/1", "--year", "2021")
    status = json.loads(grants("projections", "status", "--format", "json").stdout)
    assert {r["projection"]: r["behind"] for r in status} == {"frames": 2, "positions": 2}
    before = grants("funding", "--format", "json").stdout
    status = json.loads(grants("projections", "status", "--format", "json").stdout)
    assert {r["projection"]: r["behind"] for r in status} == {"frames": 0, "positions": 0}
    assert grants("projections", "rebuild").exit_code == 0
    assert grants("funding", "--format", "json").stdout == before


def test_report_filters_are_validated(grants):
    assert grants("funding", "--office", "atlantis").exit_code == 2
    assert grants("funding", "--scheme", "999").exit_code == 2
    assert grants("compliance", "--on", "someday").exit_code == 2


@pytest.mark.slow
def test_the_demo_builds_its_own_national_ledger_and_never_touches_grants_db(grants, tmp_path):
    grants("apply", "D/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    data_home = tmp_path / "data"
    result = grants("demo", env_extra={"XDG_DATA_HOME": str(data_home)})  # GRANTS_DB names the user's ledger
    assert result.exit_code == 0, result.output
    demo_file = data_home / "grants" / "demo.sqlite"
    assert f"Demo ledger: sqlite:///{demo_file}" in result.stdout
    summary = re.search(r"(\d+) commands, (\d+) events on (\d+) positions, (\d+) events in all \(with users, "
                        r"frames and appropriations\)", result.stdout)
    commands, on_positions, positions, in_all = map(int, summary.groups())
    assert positions == 880 and commands < on_positions < in_all  # every position applied and granted at least
    connection = sqlite3.connect(demo_file)
    assert in_all == connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    connection.close()  # the last connection: SQLite removes its -wal and -shm files
    for heading in ("Funding by office, 2021", "Transitional wind-down", "Where funding ends"):
        assert heading in result.stdout
    assert "violations: 3" in result.stdout
    assert event_count(grants.url) == 1  # the user's ledger: untouched
    assert sorted(p.name for p in (data_home / "grants").iterdir()) == ["demo.sqlite"]  # no temporary files
    demo_url = f"sqlite:///{demo_file}"
    offices = {r["office"] for r in json.loads(grants("--db", demo_url, "funding", "--year", "2021", "--format",
                                                      "json").stdout)}
    assert len(offices) == 10
    again = grants("--db", demo_url, "demo")  # a ledger named with --db must be empty
    assert again.exit_code == 6 and "needs an empty ledger" in again.stderr


def test_projections_follow_keeps_the_read_models_current(grants):
    grants("apply", "P/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    result = grants("projections", "follow", "--interval", "0", "--rounds", "2")
    assert result.exit_code == 0 and result.stdout.splitlines() == ["folded 1 events up to 1"]
    status = json.loads(grants("projections", "status", "--format", "json").stdout)
    assert all(r["behind"] == 0 for r in status)


def test_a_csv_from_excel_in_windows_1252_with_empty_rows_and_a_cell_over_two_lines(grants, tmp_path):
    """Excel's plain semicolon CSV is Windows-1252; its formatted empty rows are separators only;
    a record is numbered by the line it starts on."""
    path = tmp_path / "ansi.csv"
    path.write_bytes("command;ref;kommune;scheme;title;fte;year\r\napply;W/1;Bodø;765.62;Rådgiver;0,5;2021\r\n"
                     ";;;;;;\r\n\r\n".encode("cp1252"))
    assert grants("import", str(path)).stdout == "imported 1 commands, 1 events\n"
    assert json.loads(grants("show", "W/1", "--format", "json").stdout)["title"] == "Rådgiver"
    spans = tmp_path / "spans.csv"
    spans.write_text('command,ref,kommune,scheme,title,fte,year\napply,M/1,Hamar,765.62,"two\nlines",1,2021\n'
                     "apply,M/2,Hamar,765.62,t,50,2021\n", encoding="utf-8")
    result = grants("import", str(spans))
    assert result.stderr.splitlines()[:2] == [
        "Error: line 2: title: must not contain control characters, got 'two\\nlines'",
        "Error: line 4: fte: must be more than 0 and at most 1, got '50'; did you mean 0.50?"]


def test_a_field_given_twice_on_a_line_is_refused_rather_than_one_value_dropped(grants, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("command,ref,kommune,scheme,title,fte,year,wage_cost,--wage-cost\n"
                    "apply,H/1,Hamar,765.62,T,1,2021,500000,600000\n", encoding="utf-8")
    result = grants("import", str(path))
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        2, "Error: line 2: --wage-cost: the same field as column 'wage_cost'; give one of them")
    assert event_count(grants.url) == 0
    semicolon = grants("apply", "P/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
                       "--year", "2021", "--partner", "Politiet; Salten")  # would come back as two from a file
    assert (semicolon.exit_code, semicolon.stderr) == (
        2, "Error: --partner: must not contain ';' (it separates partners in a file), got 'Politiet; Salten'\n")


def test_a_file_without_a_command_column_is_one_problem_and_a_line_without_a_command_says_so(grants, tmp_path):
    capitalised = tmp_path / "excel.csv"
    capitalised.write_text("Command,Ref,Year\napply,H/2,2021\n", encoding="utf-8")
    result = grants("import", str(capitalised))
    assert (result.exit_code, result.stderr) == (
        2, "Error: file: the first line names no command column; it names 'Command', 'Ref', 'Year'\n")
    missing = tmp_path / "lines.jsonl"
    missing.write_text('{"ref": "X/1", "year": 2021}\n', encoding="utf-8")
    assert grants("import", str(missing)).stderr.splitlines()[0] == (
        "Error: line 1: command: is required (one of apply, grant, reject, advance, reduce-fte, report, terminate, "
        "carry-over)")


def test_spreadsheet_files_as_saved_in_norwegian_and_their_header_mistakes(grants, tmp_path):
    """SANN/USANN for TRUE/FALSE, a blank line before the header, a header cell with a space,
    UTF-16 "Unicode text"; a column named twice or a stray non-UTF-8 byte in a UTF-8 file is one
    problem naming it, never a value dropped or letters garbled."""
    header = "command ;ref;kommune;scheme;title;fte;year;received\r\n"
    lines = ("apply;N/1;Hamar;765.62;Rådgiver;1;2021;2021-02-01\r\n"
             "grant;N/1;;;;;2021;\r\n")
    flags = "command;ref;year;spent;received;correction;reason\r\nreport;N/1;2021;1;2022-02-01;USANN;\r\n" \
            "report;N/1;2021;2;2022-02-02;SANN;rettet\r\n"
    first = tmp_path / "first.csv"
    first.write_text("\r\n" + header + lines, encoding="utf-8")
    assert grants("import", str(first)).stdout == "imported 2 commands, 2 events\n"
    second = tmp_path / "flags.txt"
    second.write_bytes(flags.replace(";", "\t").encode("utf-16"))
    assert grants("import", str(second)).stdout == "imported 2 commands, 2 events\n"
    view = json.loads(grants("show", "N/1", "--format", "json").stdout)
    assert (view["title"], [r["spent"] for r in view["reports"]]) == ("Rådgiver", [1, 2])  # SANN: a correction
    twice = tmp_path / "twice.csv"
    twice.write_text("command,ref,year,year\ngrant,N/1,2021,2022\n", encoding="utf-8")
    assert grants("import", str(twice)).stderr == "Error: file: the first line names column 'year' twice\n"
    stray = tmp_path / "stray.csv"
    stray.write_bytes((header + lines).replace("N/1", "N/2").encode("utf-8") + "apply;N/3;Hamar;765.62;Café".encode(
        "cp1252") + b";1;2021;2021-02-01\r\n")
    assert grants("import", str(stray)).stderr == "Error: file: line 4 is not UTF-8 text, as the rest of the file is\n"
