"""The two time axes on both engines: an FTE reduction effective 1 July 2022, recorded only in
March 2023, changes 2022 from 550 000 to 412 500 from the day it was recorded (known-at) and,
as known today, from the day it took effect (in-force)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from grants.projections.api import Reports

REF = "2021/4711-3"


@pytest.fixture
def late_reduction(db_url, recorded_clock):
    """Granted 2021 (recorded 15 March 2021), advanced to 2022 (recorded 10 January 2022), reduced
    to half time from 1 July 2022, recorded on 10 March 2023."""
    def grants(*args):
        result = CliRunner().invoke(cli, ["--db", db_url, *args], env={"GRANTS_ACTOR": "kari"})
        assert result.exit_code == 0, result.output
        return result

    grants.url = db_url
    recorded_clock("2021-03-15T10:00:00+00:00")
    grants("apply", REF, "--kommune", "3401", "--scheme", "765.62", "--title", "Ruskonsulent", "--fte", "1",
           "--year", "2021", "--received", "2021-02-01")
    grants("grant", REF, "--year", "2021", "--decided", "2021-03-15")
    recorded_clock("2022-01-10T10:00:00+00:00")
    grants("advance", REF, "--year", "2022", "--decided", "2022-01-10")
    recorded_clock("2023-03-10T10:00:00+00:00")
    grants("reduce-fte", REF, "--fte", "0.5", "--effective", "2022-07-01", "--reason", "vacancy")
    return grants


def amounts_2022(grants, *cut):
    rows = json.loads(grants("funding", "--by", "position", "--year", "2022", *cut, "--format", "json").stdout)
    return [r["amount"] for r in rows]


def shown_2022(grants, *cut):
    view = json.loads(grants("show", REF, *cut, "--format", "json").stdout, parse_float=Decimal)
    return {y["year"]: y["amount"] for y in view["years"]}.get(2022), str(view["fte"])  # FTE: a JSON number


CASES = [  # (cut options, 2022 amount in funding and show, FTE shown)
    ((), 412500, "0.50"),                                                        # neither: today's answer
    (("--known-at", "2023-03-01"), 550000, "1.00"),                              # not yet recorded then
    (("--known-at", "2023-03-10T10:00:00Z"), 412500, "0.50"),                    # recorded at that moment
    (("--in-force", "2022-06-30"), 550000, "1.00"),                              # not yet in force
    (("--in-force", "2022-07-01"), 412500, "0.50"),                              # in force, as known today
    (("--known-at", "2023-03-01", "--in-force", "2022-07-01"), 550000, "1.00"),  # in force, but not known then
    (("--known-at", "2023-04-01", "--in-force", "2022-07-01"), 412500, "0.50"),  # known then and in force
    (("--known-at", "2023-04-01", "--in-force", "2022-06-30"), 550000, "1.00"),  # known then, not in force
]


def test_the_four_combinations_of_known_at_and_in_force(late_reduction):
    for cut, amount, fte in CASES:
        assert amounts_2022(late_reduction, *cut) == [amount], cut
        assert shown_2022(late_reduction, *cut) == (amount, fte), cut
    as_of = amounts_2022(late_reduction, "--as-of", "2023-03-01")  # the old name is an alias of --known-at
    assert as_of == [550000]


def test_before_a_decision_is_in_force_its_year_is_not_granted(late_reduction):
    assert amounts_2022(late_reduction, "--in-force", "2022-01-09") == []
    assert shown_2022(late_reduction, "--in-force", "2022-01-09") == (None, "1.00")
    assert amounts_2022(late_reduction, "--known-at", "2022-01-09") == []
    nothing = CliRunner().invoke(cli, ["--db", late_reduction.url, "show", REF, "--in-force",
                                       "2021-01-31"])
    assert nothing.exit_code == 4
    assert nothing.stderr.strip() == f"Error: ref: position {REF!r} had nothing in force on 2021-01-31"


def test_history_lists_only_the_events_known_or_in_force(late_reduction):
    def history(*cut):
        rows = json.loads(late_reduction("history", REF, *cut, "--format", "json").stdout)
        return [(r["event"], r["state"]["amount"]) for r in rows]

    full = [("Applied", None), ("Granted", 660000), ("YearAdvanced", 550000), ("FteReduced", 412500)]
    assert history() == full
    assert history("--known-at", "2023-03-01") == full[:3]
    assert history("--in-force", "2022-06-30") == full[:3]
    assert history("--in-force", "2021-12-31") == full[:2]


def test_the_reporting_api_gives_the_same_figures(late_reduction, db_url):
    def amount(**cut):
        with Reports(db_url, **cut) as reports:
            return [(r.year, r.amount, r.fte) for r in reports.funding(by="position")]

    from decimal import Decimal

    assert amount() == [(2021, 660000, Decimal("1.00")), (2022, 412500, Decimal("0.50"))]
    assert amount(known_at=datetime(2023, 3, 1, tzinfo=UTC)) == [
        (2021, 660000, Decimal("1.00")), (2022, 550000, Decimal("1.00"))]
    assert amount(in_force=date(2022, 6, 30))[1] == (2022, 550000, Decimal("1.00"))
    assert amount(known_at=datetime(2023, 4, 1, tzinfo=UTC), in_force=date(2022, 7, 1))[1] == (
        2022, 412500, Decimal("0.50"))


def test_a_malformed_cut_is_a_usage_error_naming_its_option(late_reduction):
    url = late_reduction.url
    for args, message in ((("--in-force", "1 July"),
                           "--in-force: must be an ISO date such as 2022-07-01, got '1 July'"),
                          (("--known-at", "soon"), "--known-at: must be an ISO date or date-time, got 'soon'")):
        result = CliRunner().invoke(cli, ["--db", url, "funding", *args])
        assert result.exit_code == 2 and result.stderr.strip() == f"Error: {message}"
    both = CliRunner().invoke(cli, ["--db", url, "show", REF, "--version", "2", "--in-force", "2022-07-01"])
    assert both.exit_code == 2


def test_an_event_is_in_force_only_with_the_events_it_builds_on(sqlite_url):
    """A report received before a later-recorded advance is in force without it; a reduction
    dated before its year's grant decision waits for the grant."""
    from grants.domain import commands as c
    from grants.ledger.application import GrantsLedger
    from grants.ledger.time_axes import TimeCut

    ledger = GrantsLedger(sqlite_url)
    for model, values in ((c.Apply, dict(kommune="3401", scheme="765.62", title="t", fte="1", year="2021",
                                         received="2021-02-01")),
                          (c.Grant, dict(year=2021, decided="2021-03-15")),
                          (c.Advance, dict(year=2022, decided="2022-03-01")),
                          (c.Report, dict(year=2021, spent="600000", received="2022-02-10")),
                          (c.ReduceFte, dict(fte="0.5", effective="2022-02-01"))):
        ledger.execute(c.parse(model, ref=REF, **values))

    def state(day):
        position = ledger.position_at(REF, TimeCut(in_force=date.fromisoformat(day)))
        return sorted(position.years), sorted(position.reports), str(position.fte), position.version

    assert state("2022-02-15") == ([2021], [2021], "1.00", 4)  # the report, without the advance (v3)
    assert state("2022-03-01") == ([2021, 2022], [2021], "0.50", 5)
    # 550 000 x (1.0 x 1 month + 0.5 x 11 months) / 12 = 297 916.67 -> 297 917
    assert ledger.position_at(REF, TimeCut(in_force=date(2022, 3, 1))).years[2022].amount == 297917
    ledger.close()
