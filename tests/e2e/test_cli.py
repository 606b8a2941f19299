"""The CLI as a caseworker and an auditor use it: worked examples, bad input, exit codes."""

import json
import sqlite3
from decimal import Decimal

import pytest

REF = "2021/4711-3"


def event_count(url):
    path = url.removeprefix("sqlite:///")
    try:
        return sqlite3.connect(path).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def apply(grants, ref=REF, *extra, year="2021", fte="1", scheme="765.62", kommune="3401"):
    result = grants("apply", ref, "--kommune", kommune, "--scheme", scheme, "--title", "Ruskonsulent",
                    "--fte", fte, "--year", year, "--received", f"{year}-02-01", *extra)
    assert result.exit_code == 0, result.output
    return result


def as_json(result):
    """JSON output with its numbers exact: FTE are JSON numbers such as 0.50."""
    return json.loads(result.stdout, parse_float=Decimal)


def show(grants, ref=REF):
    result = grants("show", ref, "--format", "json")
    assert result.exit_code == 0, result.output
    return as_json(result)


def amounts(grants, ref=REF):
    return {y["year"]: y["amount"] for y in show(grants, ref)["years"]}


def test_half_a_position_in_ladder_year_two_is_granted_275_000(grants):
    apply(grants, year="2019", fte="0.5")
    assert grants("grant", REF, "--year", "2019").exit_code == 0
    assert grants("advance", REF, "--year", "2020").exit_code == 0
    assert show(grants)["years"][1] == {
        "year": 2020, "ladder_year": 2, "fte": Decimal("0.50"), "amount": 275000, "granted_amount": 275000,
        "rule": "765.62/ladder-2017", "rate": 550000, "over_frame": False,
        "fte_from_month": [{"month": 1, "fte": Decimal("0.50")}]}


def test_a_full_position_reduced_to_half_from_1_july_in_year_one_gets_495_000(grants):
    apply(grants, year="2019")
    grants("grant", REF, "--year", "2019")
    result = grants("reduce-fte", REF, "--fte", "0.5", "--effective", "2019-07-01", "--reason", "vacancy")
    assert result.exit_code == 0, result.output
    assert amounts(grants) == {2019: 495000}
    assert show(grants)["fte"] == Decimal("0.50")


def test_a_position_first_funded_2021_winds_down_through_2024_and_2025_is_refused(grants):
    apply(grants)
    grants("grant", REF, "--year", "2021")
    for year in ("2022", "2023", "2024"):
        assert grants("advance", REF, "--year", year).exit_code == 0
    assert amounts(grants) == {2021: 660000, 2022: 550000, 2023: 330000, 2024: 330000}
    before = event_count(grants.url)
    refused = grants("advance", REF, "--year", "2025")
    assert refused.exit_code == 6
    assert refused.stderr.strip() == "Error: --year: 765.62 pays nothing after 2024 (no rule for 2025)"
    assert event_count(grants.url) == before


def test_show_json_has_the_documented_fields(grants):
    apply(grants)
    grants("grant", REF, "--year", "2021")
    view = show(grants)
    assert {k: view[k] for k in ("ref", "kommunenummer", "office", "scheme", "status", "fte", "ladder_year")} == {
        "ref": REF, "kommunenummer": "3401", "office": "innlandet", "scheme": "765.62",
        "status": "active", "fte": Decimal("1.00"), "ladder_year": 1}


def test_history_lists_every_event_with_actor_and_state_after_it(grants):
    apply(grants)
    grants("grant", REF, "--year", "2021", "--decided", "2021-03-01")
    grants("terminate", REF, "--cause", "withdrawn", "--reason", "moved", "--effective", "2021-09-01")
    result = grants("history", REF, "--format", "json")
    events = json.loads(result.stdout)
    assert [(e["version"], e["event"], e["actor"], e["state"]["status"]) for e in events] == [
        (1, "Applied", "kari.nordmann", "applied"), (2, "Granted", "kari.nordmann", "active"),
        (3, "Terminated", "kari.nordmann", "terminated")]
    assert events[1]["effective"] == "2021-03-01" and events[1]["payload"]["amount"] == 660000
    assert events[0]["recorded"].endswith("Z")
    table = grants("history", REF)
    assert "Terminated" in table.stdout and "kari.nordmann" in table.stdout


def test_apply_is_idempotent_and_a_reused_ref_with_other_data_is_refused(grants):
    apply(grants)
    again = apply(grants)
    assert "unchanged" in again.stdout
    assert event_count(grants.url) == 1
    other = grants("apply", REF, "--kommune", "3401", "--scheme", "765.62", "--title", "Other",
                   "--fte", "1", "--year", "2021")
    assert other.exit_code == 6 and "different application" in other.stderr
    assert event_count(grants.url) == 1
    left_out = grants("apply", REF, "--kommune", "3401", "--scheme", "765.62", "--title", "Ruskonsulent",
                      "--fte", "1", "--year", "2021")  # no --received: the same application
    assert left_out.exit_code == 0 and "unchanged" in left_out.stdout
    other_day = grants("apply", REF, "--kommune", "3401", "--scheme", "765.62", "--title", "Ruskonsulent",
                       "--fte", "1", "--year", "2021", "--received", "2021-01-15")
    assert other_day.exit_code == 6 and "different application" in other_day.stderr
    assert event_count(grants.url) == 1


def test_report_after_termination_and_to_reclaim(grants):
    apply(grants)
    grants("grant", REF, "--year", "2021")
    grants("terminate", REF, "--cause", "other", "--reason", "kommune ended the service")
    result = grants("report", REF, "--year", "2021", "--spent", "600000", "--self-financing", "100000")
    assert result.exit_code == 0, result.output
    assert show(grants)["reports"][0]["to_reclaim"] == 60000


BAD_INPUTS = [
    (["show", "2099/1"], 4, "ref: no position '2099/1'"),
    (["grant", "2099/1", "--year", "2021"], 4, "ref: no position"),
    (["apply", "X/1", "--kommune", "9999", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021"], 2, "unknown kommunenummer '9999'"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "0", "--year", "2021"], 2, "fte: must be more than 0 and at most 1, got '0'"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1.5", "--year", "2021"], 2, "got '1.5'"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "0.333", "--year", "2021"], 2, "fte: must be whole percent"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.99", "--title", "t", "--fte", "1", "--year", "2021"], 2, "unknown scheme '765.99'"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021", "--received", "2021-02-30"], 2, "received: must be an ISO date"),
    (["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021", "--wage-cost", "-5"], 2, "--wage-cost: must be whole kroner"),
    (["grant", REF, "--year", "2022"], 6, "was applied for 2021, not 2022"),
    (["grant", REF, "--year", "2021", "--amount", "12x"], 2, "amount: must be whole kroner"),
    (["grant", REF, "--year", "2021", "--amount", "-100"], 2, "amount"),
    (["grant", REF, "--year", "twenty"], 2, "year: must be a year"),
    (["report", REF, "--year", "2021", "--spent", "1"], 6, "not funded in 2021"),
    (["reduce-fte", REF, "--fte", "0.5", "--effective", "not-a-date"], 2, "effective: must be an ISO date"),
    (["terminate", REF, "--cause", "bored", "--reason", "x"], 2,
     "--cause: must be one of expired, wound-down, withdrawn, other, got 'bored'"),
    (["show", "bad\x1eref"], 2, "'bad\\x1eref'"),
]


@pytest.mark.parametrize("args, code, message", BAD_INPUTS, ids=[" ".join(a[:1] + a[2:4]) for a, _, _ in BAD_INPUTS])
def test_bad_input_gets_one_line_error_its_exit_code_and_writes_nothing(grants, args, code, message):
    apply(grants)
    before = event_count(grants.url)
    result = grants(*args)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert "\x1e" not in result.output
    assert event_count(grants.url) == before


def test_the_installed_grants_command_runs_as_a_process(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    grants = str(Path(sys.executable).parent / "grants")  # the script installed beside this interpreter
    env = {"GRANTS_DB": f"sqlite:///{tmp_path / 'l.sqlite'}", "GRANTS_ACTOR": "ola"}
    run = lambda *a: subprocess.run([grants, *a], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("init").returncode == 0
    assert run("apply", "P/1", "--kommune", "0301", "--scheme", "765.62-new", "--title", "Team",
               "--fte", "1", "--year", "2023").returncode == 0
    granted = run("grant", "P/1", "--year", "2023", "--amount", "400000")
    assert granted.returncode == 0 and "400 000 NOK" in granted.stdout
    refused = run("advance", "P/1", "--year", "2024", "--amount", "400001")
    assert refused.returncode == 6
    assert refused.stderr == "Error: --amount: 400 001 exceeds the previous year's 400 000 (step-down)\n"
