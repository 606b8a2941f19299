"""Cases found by trying the CLI as an acceptance tester would: stdout as `--output -`, text
that a spreadsheet would run, carry-overs in `show`, the rule's amount after a reduction, routine
checkpoints in `grants check`, damaged rows, and dates that make no sense."""

import json
import sqlite3

import pytest
from openpyxl import load_workbook


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def one_line(result, code, text):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr


def test_output_dash_is_standard_output_for_reports_and_export(grants, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok(grants("apply", "O/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
              "--year", "2021", "--received", "2021-02-01"))
    ok(grants("grant", "O/1", "--year", "2021", "--decided", "2021-03-01"))
    report = ok(grants("funding", "--by", "position", "--format", "csv", "--output", "-"))
    assert report.stdout.splitlines()[1].startswith("O/1,3401,innlandet,765.62,2021,1,1.00,660000")
    export = ok(grants("export", "--all", "--output", "-"))
    assert json.loads(export.stdout.splitlines()[-1])["manifest"]["events"] == 2
    assert not (tmp_path / "-").exists()


def test_text_a_spreadsheet_would_run_stays_text_in_a_workbook(grants, tmp_path):
    ok(grants("apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", '=HYPERLINK("http://x")',
              "--fte", "1", "--year", "2021", "--received", "2021-02-01"))
    ok(grants("terminate", "X/1", "--cause", "other", "--reason", "=1+1", "--effective", "2021-06-30"))
    path = tmp_path / "export.xlsx"
    ok(grants("export", "--all", "--format", "xlsx", "--output", str(path)))
    book = load_workbook(path)
    texts = [c for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert {c.value for c in texts} >= {'=HYPERLINK("http://x")', "=1+1"}
    assert {c.data_type for c in texts} == {"s"}  # strings, never formulas


def test_show_counts_a_carry_over_decided_after_the_report(grants):
    ok(grants("apply", "N/1", "--kommune", "1160", "--scheme", "765.62-new", "--title", "t", "--fte", "1",
              "--year", "2024", "--received", "2024-02-01"))
    ok(grants("grant", "N/1", "--year", "2024", "--amount", "500000", "--decided", "2024-03-01"))
    ok(grants("advance", "N/1", "--year", "2025", "--amount", "500000", "--decided", "2025-01-10"))
    ok(grants("report", "N/1", "--year", "2025", "--spent", "380000", "--received", "2026-02-01"))
    ok(grants("carry-over", "N/1", "--from-year", "2025", "--amount", "100000", "--reason", "approved",
              "--decided", "2026-02-15"))
    reported = ok(grants("report", "N/1", "--year", "2026", "--spent", "90000", "--received", "2026-11-01"))
    assert reported.stdout.strip().endswith("2026: 100 000 NOK carried in; spent 90 000, to reclaim 10 000")
    view = json.loads(ok(grants("show", "N/1", "--format", "json")).stdout)
    assert [(r["year"], r["to_reclaim"]) for r in view["reports"]] == [(2025, 20_000), (2026, 10_000)]
    assert view["carried_over"] == [{"from_year": 2025, "to_year": 2026, "amount": 100_000}]
    rows = ok(grants("show", "N/1", "--format", "csv")).stdout.splitlines()
    assert [r.split(",")[5] for r in rows[1:]] == ["2024", "2025", "2026"]
    assert rows[3].endswith(",100000,0")


def test_a_past_years_carry_over_left_undated_is_decided_on_the_report_left_undated(grants):
    """The report's default date is its deadline (15 February), the decision's 1 January of the
    year carried into: the carry-over, approved on the report, takes the later of the two."""
    ok(grants("apply", "U/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021"))
    ok(grants("grant", "U/1", "--year", "2021"))
    ok(grants("report", "U/1", "--year", "2021", "--spent", "600000"))
    ok(grants("carry-over", "U/1", "--from-year", "2021", "--amount", "60000", "--reason", "approved"))
    history = json.loads(ok(grants("history", "U/1", "--format", "json")).stdout)
    assert [(e["event"], e["effective"]) for e in history[2:]] == [("Reported", "2022-02-15"),
                                                                  ("CarriedOver", "2022-02-15")]
    later = ok(grants("report", "U/1", "--year", "2021", "--spent", "500000", "--received", "2022-04-01",
                      "--correction", "--reason", "corrected accounts"))
    assert later.exit_code == 0
    ok(grants("carry-over", "U/1", "--from-year", "2021", "--amount", "40000", "--reason", "more approved"))
    assert json.loads(ok(grants("history", "U/1", "--format", "json")).stdout)[-1]["effective"] == "2022-04-01"


def test_a_discretionary_amount_keeps_its_deviation_sign_after_a_reduction(grants):
    ok(grants("apply", "D/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
              "--year", "2020", "--received", "2020-02-01"))
    ok(grants("grant", "D/1", "--year", "2020", "--amount", "700000", "--reason", "skjønn", "--decided", "2020-03-01"))
    ok(grants("advance", "D/1", "--year", "2021", "--amount", "600000", "--reason", "skjønn",
              "--decided", "2021-01-10"))
    ok(grants("reduce-fte", "D/1", "--fte", "0.5", "--effective", "2021-07-01"))
    rows = json.loads(ok(grants("funding", "--by", "position", "--year", "2021", "--format", "json")).stdout)
    # 600 000 x (6 + 0.5 x 6) / 12 = 450 000 against the rule's 550 000 x 9 / 12 = 412 500
    assert [(r["amount"], r["rule_amount"], r["deviation"]) for r in rows] == [(450_000, 412_500, 37_500)]


def test_check_compares_with_the_last_checkpoint_as_verify_does(grants, tmp_path):
    env = {"GRANTS_CHECKPOINTS": str(tmp_path / "checkpoints.jsonl")}
    for ref in ("C/1", "C/2"):
        ok(grants("apply", ref, "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
                  "--year", "2021", "--received", "2021-02-01"))
    ok(grants("verify", env_extra=env))
    path = grants.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # cut the tail, chain row and all
        conn.execute("DELETE FROM stored_events WHERE rowid = (SELECT MAX(rowid) FROM stored_events)")
        conn.execute("DELETE FROM grants_chain WHERE notification_id = (SELECT MAX(notification_id) FROM grants_chain)")
    result = grants("check", "--only", "chain", env_extra=env)
    assert result.exit_code == 7
    assert "covers 2 events but the ledger has only 1" in result.stdout


def test_a_checkpoint_file_in_a_folder_that_does_not_exist_is_exit_2_and_nothing_is_written(grants, tmp_path):
    ok(grants("apply", "K/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
              "--year", "2021", "--received", "2021-02-01"))
    mistyped = tmp_path / "checkpionts" / "daily.jsonl"
    one_line(grants("verify", "--checkpoints", str(mistyped)), 2, "checkpoints: no folder")
    one_line(grants("verify", env_extra={"GRANTS_CHECKPOINTS": str(mistyped)}), 2, "checkpoints: no folder")
    assert not mistyped.parent.exists()


def test_a_damaged_event_row_is_one_line_and_exit_7_not_an_internal_error(grants):
    ok(grants("apply", "B/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
              "--year", "2021", "--received", "2021-02-01"))
    with sqlite3.connect(grants.url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE stored_events SET state = CAST('{garbage' AS BLOB) WHERE rowid = 1")
    one_line(grants("show", "B/1"), 7, "a stored event cannot be read")


def test_dates_before_the_year_or_the_report_are_refused_with_exit_2(grants):
    ok(grants("apply", "E/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
              "--year", "2021", "--received", "2021-02-01"))
    ok(grants("grant", "E/1", "--year", "2021", "--decided", "2021-03-01"))
    one_line(grants("terminate", "E/1", "--cause", "withdrawn", "--reason", "x", "--effective", "2020-06-30"), 2,
             "--effective: a termination cannot take effect before 2021-02-01, got 2020-06-30")
    one_line(grants("report", "E/1", "--year", "2021", "--spent", "1", "--received", "2019-01-01"), 2,
             "--received: a report on 2021 cannot be received before the year began")
    ok(grants("report", "E/1", "--year", "2021", "--spent", "600000", "--received", "2022-02-01"))
    one_line(grants("carry-over", "E/1", "--from-year", "2021", "--amount", "1000", "--reason", "x",
                    "--decided", "2022-01-15"), 2, "is before the 2021 report was received on 2022-02-01")


def test_a_kommunenummer_without_its_leading_zero_is_read_as_a_spreadsheet_wrote_it(grants):
    applied = ok(grants("apply", "K/1", "--kommune", "301", "--scheme", "765.62", "--title", "t", "--fte", "1",
                        "--year", "2021", "--received", "2021-02-01"))
    assert "K/1" in applied.stdout
    assert json.loads(ok(grants("show", "K/1", "--format", "json")).stdout)["kommunenummer"] == "0301"


def test_the_demo_ledger_has_its_runner_as_first_admin(grants, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    ok(grants("--db", url, "demo"))
    users = json.loads(ok(grants("--db", url, "users", "list", "--format", "json")).stdout)
    assert users == [{"name": "kari.nordmann", "role": "admin", "office": None}]


@pytest.mark.postgres
def test_init_into_a_postgres_schema_that_does_not_exist_is_one_line_and_exit_2():
    from click.testing import CliRunner

    from grants.cli.main import cli
    from tests.conftest import POSTGRES_URL

    url = f"{POSTGRES_URL}?schema=no_such_schema_here"
    result = CliRunner().invoke(cli, ["--db", url, "init"], env={"GRANTS_ACTOR": "ada"})
    one_line(result, 2, "the schema named in")
    assert ":grants@" not in result.stderr  # the password is never printed


def test_a_checkpoint_that_cannot_be_appended_is_one_clear_error_not_a_traceback(tmp_path):
    """The folder checked before verifying may be gone by the time the checkpoint is appended."""
    from types import SimpleNamespace

    from grants.domain.errors import InvalidInput
    from grants.ledger.checkpoints import append_checkpoint

    report = SimpleNamespace(count=2, head=2, digest="2:" + "0" * 64, keyed_since=None)
    with pytest.raises(InvalidInput, match=r"^checkpoints: cannot write .*gone.*No such file or directory"):
        append_checkpoint(tmp_path / "gone" / "daily.jsonl", report, "sqlite:///x")
