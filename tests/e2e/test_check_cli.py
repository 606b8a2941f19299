"""`grants check` as cron runs it: one line per finding, --only/--ignore, JSON, exit 0/6/7."""

import json
import sqlite3

import pytest

ON = ("--on", "2025-06-01")


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def checked(grants):
    """One position per rule kind (figures in the comments), and an office frame exceeded."""
    def apply(ref, kommune, scheme, fte, year, *extra):
        plan = ("--permanence-plan", "into the kommune's budget from the fourth year") if scheme == "765.62" else ()
        ok(grants("apply", ref, "--kommune", kommune, "--scheme", scheme, "--title", "t", "--fte", fte,
                  "--year", year, "--received", f"{year}-02-01", *plan, *extra))

    apply("W/1", "3401", "765.62", "1", "2021")
    apply("L/1", "3403", "765.62", "0.5", "2021")
    ok(grants("frame", "set", "--office", "innlandet", "--scheme", "765.62", "--year", "2021", "--amount", "900000"))
    ok(grants("grant", "W/1", "--year", "2021", "--decided", "2021-03-01"))                      # 660 000
    ok(grants("grant", "L/1", "--year", "2021", "--decided", "2021-03-01", "--over-frame",
              "--reason", "director approved"))                                                 # 330 000
    for year, spent, received in (("2021", "660000", "2022-02-01"), ("2022", "550000", "2023-01-20"),
                                  ("2023", "330000", "2024-01-20"), ("2024", "330000", "2025-02-20")):
        if year != "2021":
            ok(grants("advance", "W/1", "--year", year, "--decided", f"{year}-01-15"))
        ok(grants("report", "W/1", "--year", year, "--spent", spent, "--received", received))  # all on time
    ok(grants("report", "L/1", "--year", "2021", "--spent", "300000", "--received", "2022-03-01"))  # due 15 Feb
    ok(grants("terminate", "L/1", "--cause", "withdrawn", "--reason", "moved", "--effective", "2021-12-31"))
    apply("M/1", "4601", "765.60-adults", "1", "2023", "--wage-cost", "800000")
    ok(grants("grant", "M/1", "--year", "2023", "--amount", "500000", "--decided", "2023-03-01"))
    ok(grants("report", "M/1", "--year", "2023", "--spent", "500000", "--self-financing", "100000",
              "--received", "2024-03-01"))
    apply("N/1", "4601", "765.62-new", "1", "2024")
    ok(grants("grant", "N/1", "--year", "2024", "--amount", "400000", "--decided", "2024-03-01"))
    return grants


def test_every_rule_finding_is_one_line_and_the_exit_is_6(checked):
    result = checked("check", *ON)
    assert result.exit_code == 6
    assert result.stdout.splitlines() == [
        "W/1                    wind-down             still active after 2024 (terminate as wound-down)",
        "N/1                    missing-report        2024: report was due 2025-03-01",
        "L/1                    late-report           2021: received 2022-03-01, due 2022-02-15",
        "M/1                    self-financing        2023: costs exceed the grant by 300 000, documented 100 000",
        "M/1                    not-auditor-attested  2023: 765.60-adults reports need an auditor's attestation",
        "L/1                    to-reclaim            2021: 30 000 of 330 000 paid (entitled 330 000, spent 300 000); "
        "no repayment recorded",
        "innlandet/765.62/2021  frame-exceeded        granted 990 000 against a frame of 900 000, 90 000 over "
        "(1 granted over the frame by decision)"]
    assert result.stderr.strip() == ("7 finding(s): 1 wind-down, 1 missing-report, 1 late-report, "
                                     "1 self-financing, 1 not-auditor-attested, 1 to-reclaim, 1 frame-exceeded")


def test_only_and_ignore_select_kinds_and_json_is_a_list(checked):
    only = checked("check", *ON, "--only", "late-report", "--only", "to-reclaim", "--format", "json")
    assert only.exit_code == 6
    assert json.loads(only.stdout) == [
        {"ref": "L/1", "kind": "late-report", "detail": "2021: received 2022-03-01, due 2022-02-15"},
        {"ref": "L/1", "kind": "to-reclaim",
         "detail": "2021: 30 000 of 330 000 paid (entitled 330 000, spent 300 000); no repayment recorded"}]
    clean = checked("check", *ON, "--ignore", "wind-down", "--ignore", "missing-report", "--ignore", "late-report",
                    "--ignore", "self-financing", "--ignore", "not-auditor-attested", "--ignore", "to-reclaim",
                    "--ignore", "frame-exceeded")
    assert clean.exit_code == 0 and clean.stdout == ""
    assert clean.stderr.startswith("no findings (chain, read-models, still-active, late-application, no-permanence-plan, "
                                   "advanced-without-report, share-not-growing, appropriation-exceeded, "
                                   "deviation-without-reason; "
                                   "judged on 2025-06-01; ledger digest 21:")
    unknown = checked("check", "--only", "typo")
    assert unknown.exit_code == 2 and "'typo' is not one of 'chain'" in unknown.stderr
    csv = checked("check", *ON, "--only", "missing-report", "--format", "csv")
    assert csv.stdout.splitlines() == ["ref,kind,detail", "N/1,missing-report,2024: report was due 2025-03-01"]


def test_an_edited_read_model_row_is_an_integrity_finding_with_exit_7(checked):
    ok(checked("funding"))  # the read models catch up
    path = checked.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE proj_years SET amount = 1 WHERE ref = 'W/1' AND year = 2022")
    result = checked("check", "--only", "read-models")
    assert result.exit_code == 7
    assert result.stdout.splitlines() == [
        "W/1  read-models  proj_years W/1 2022: amount 1 in the table, 550000 from the log"]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), '400000', '400001') AS BLOB) "
                     "WHERE rowid = ("
                     "SELECT max(rowid) FROM stored_events)")
    chain = checked("check", "--only", "chain")
    assert chain.exit_code == 7 and chain.stdout.startswith("-  chain  event 21 (ref 'N/1' version 2) was altered")


def test_read_models_ahead_of_a_cut_log_are_a_finding_and_the_rules_are_judged_on_the_log(checked):
    """The last event and its chain row deleted (plain verify cannot see a cut tail) after the
    read models caught up: they claim an event the log lacks. That is a read-models finding, not
    an error that hides the others; the rules are judged on a replay of what the log holds."""
    ok(checked("funding"))  # the read models catch up to event 21
    path = checked.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # N/1's 2024 grant (version 2) is the last event
        conn.execute("DELETE FROM stored_events WHERE rowid = 21")
        conn.execute("DELETE FROM grants_chain WHERE notification_id = 21")
    result = checked("check", *ON)
    assert result.exit_code == 7
    findings = [line.split(None, 2) for line in result.stdout.splitlines()]
    assert findings[0] == ["-", "read-models", "the read models claim event 21, but the log ends at 20"]
    # The tables still hold N/1's 2024 grant, whose report is missing; the log no longer does.
    assert ["N/1", "missing-report", "2024: report was due 2025-03-01"] not in findings
    assert ["W/1", "wind-down", "still active after 2024 (terminate as wound-down)"] in findings
    assert "chain" not in {kind for _ref, kind, _detail in findings}  # a cut tail passes a plain verify
    rules_only = checked("check", *ON, "--only", "wind-down", "--format", "json")
    assert rules_only.exit_code == 6
    assert json.loads(rules_only.stdout) == [
        {"ref": "W/1", "kind": "wind-down", "detail": "still active after 2024 (terminate as wound-down)"}]
    assert checked("check", *ON, "--only", "missing-report").exit_code == 0


def test_a_tracking_position_edited_ahead_is_named_as_ahead_not_behind(checked):
    ok(checked("funding"))
    with sqlite3.connect(checked.url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE proj_tracking SET position = position + 5 WHERE name = 'positions'")
    result = checked("check", *ON, "--only", "read-models")
    assert (result.exit_code, result.stdout) == (
        7, "-  read-models  the read models claim event 26, but the log ends at 21\n")
