"""Auditor commands through the CLI: time travel, explain, history."""

import json
from decimal import Decimal

from tests.e2e.test_cli import apply, as_json

REF = "2021/4711-3"


def recorded_times(grants, ref=REF):
    return [e["recorded"] for e in json.loads(grants("history", ref, "--format", "json").stdout)]


def test_show_as_of_and_version_return_the_state_known_then(grants):
    apply(grants, year="2019")
    grants("grant", REF, "--year", "2019")
    grants("advance", REF, "--year", "2020")
    moment = recorded_times(grants)[-1]
    grants("reduce-fte", REF, "--fte", "0.5", "--effective", "2020-07-01")
    grants("terminate", REF, "--cause", "withdrawn", "--reason", "ended")
    then = as_json(grants("show", REF, "--as-of", moment, "--format", "json"))
    assert (then["version"], then["status"], then["fte"], then["years"][-1]["amount"]) == (
        3, "active", Decimal("1.00"), 550000)
    assert json.loads(grants("show", REF, "--version", "2", "--format", "json").stdout)["years"][0]["amount"] == 660000
    now = json.loads(grants("show", REF, "--format", "json").stdout)
    assert (now["version"], now["status"], now["years"][-1]["amount"]) == (5, "terminated", 412500)
    early = grants("show", REF, "--as-of", "2000-01-01")  # a bare date: the end of that day, UTC
    assert (early.exit_code, early.stderr) == (
        4, "Error: ref: position '2021/4711-3' was not yet recorded at 2000-01-01T23:59:59.999999Z\n")
    assert grants("show", REF, "--version", "9").exit_code == 2
    bad = grants("show", REF, "--as-of", "yesterday")  # named by the option typed, not its other name
    assert (bad.exit_code, bad.stderr) == (2, "Error: --as-of: must be an ISO date or date-time, got 'yesterday'\n")
    bad = grants("show", REF, "--known-at", "yesterday")
    assert (bad.exit_code, bad.stderr) == (2, "Error: --known-at: must be an ISO date or date-time, got 'yesterday'\n")
    both = grants("funding", "--as-of", moment, "--known-at", moment)
    assert (both.exit_code, both.stderr) == (2, "Error: --as-of: is another name for --known-at; give one of them\n")


def test_reports_as_of_replay_the_log_up_to_that_moment(grants):
    apply(grants, year="2019")
    grants("grant", REF, "--year", "2019")
    moment = recorded_times(grants)[-1]
    grants("reduce-fte", REF, "--fte", "0.5", "--effective", "2019-07-01")
    grants("advance", REF, "--year", "2020")
    then = json.loads(grants("funding", "--by", "position", "--as-of", moment, "--format", "json").stdout)
    assert [(r["year"], r["amount"]) for r in then] == [(2019, 660000)]
    now = json.loads(grants("funding", "--by", "position", "--format", "json").stdout)
    assert [(r["year"], r["amount"]) for r in now] == [(2019, 495000), (2020, 275000)]


def test_explain_shows_the_rule_rate_months_and_arithmetic(grants):
    apply(grants, year="2019")
    grants("grant", REF, "--year", "2019")
    grants("reduce-fte", REF, "--fte", "0.5", "--effective", "2019-07-01")
    result = as_json(grants("explain", REF, "--year", "2019", "--format", "json"))
    assert result["rule"] == "765.62/ladder-2017" and result["rate"] == 660000
    assert [(s["from_month"], s["months"], s["fte"]) for s in result["stretches"]] == [
        (1, 6, Decimal("1.00")), (7, 6, Decimal("0.50"))]
    assert result["arithmetic"] == ("660 000 x (1.00 x 6 + 0.50 x 6) / 12 = 495 000 -> 495 000 NOK "
                                    "(rounded half up to whole kroner)")
    assert result["exact"] == "495000"
    assert result["amount"] == 495000 and result["recomputed_matches"] is True
    table = grants("explain", REF, "--year", "2019").stdout
    assert "6 months at FTE 0.50" in table and "2021/4711-3 2019: 495 000 NOK" in table
    assert grants("explain", REF, "--year", "2020").exit_code == 4
    grants("report", REF, "--year", "2019", "--spent", "400000", "--received", "2020-02-01")
    reported = grants("explain", REF, "--year", "2019").stdout
    assert reported.count("12 months funded") == 1  # on the entitlement's arithmetic, not beside it again
    assert "  entitlement 495 000 NOK\n" in reported


def test_every_reading_command_also_speaks_csv(grants):
    apply(grants, year="2019")
    grants("grant", REF, "--year", "2019")
    show = grants("show", REF, "--format", "csv").stdout.splitlines()
    assert show == [
        "ref,kommunenummer,office,scheme,status,year,ladder_year,fte,amount,granted_amount,rule,reports,spent,"
        "to_reclaim,fte_filled,self_financing,attested,report_received,end_cause,end_effective,end_reason,rejection,"
        "carried_in,carried_out",
        "2021/4711-3,3401,innlandet,765.62,active,2019,1,1.00,660000,660000,765.62/ladder-2017,0,,,,,,,,,,,0,0"]
    history = grants("history", REF, "--format", "csv").stdout.splitlines()
    assert history[0].startswith("version,event,recorded") and len(history) == 3
    # What each event was about, beside the state after it (which shows the position's latest
    # year): raw in CSV, as its other columns; 0 is a value, unset ones are left out.
    assert history[2].endswith(",year=2019; ladder_year=1; fte=1.00; rate=660000; amount=660000; "
                               "rule_id=765.62/ladder-2017")
    explain = grants("explain", REF, "--year", "2019", "--format", "csv").stdout.splitlines()
    assert explain[1].endswith(",1,12,1.00")
    verify = grants("verify", "--format", "csv").stdout.splitlines()
    assert verify[0] == "verified,digest,digest_checked" and verify[1].startswith("2,2:")
    grants("report", REF, "--year", "2019", "--spent", "660000", "--received", "2020-02-01")
    table = grants("history", REF, env_extra={"COLUMNS": "400"}).stdout.splitlines()
    assert table[-1].endswith("  year 2019; spent 660 000; to reclaim 0; attested self; entitlement 660 000")
