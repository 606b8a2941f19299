"""Decisions caseworkers really make (issue 10), through the CLI as a caseworker, an auditor and an
administrator use it: figures checked by hand, one-line refusals with their exit codes."""

import json

from tests.e2e.test_cli import event_count


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def refused(grants, code, message, *args):
    """The command fails with one `Error:` line containing `message`, its exit code, and writes nothing."""
    before = event_count(grants.url)
    result = grants(*args)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert event_count(grants.url) == before


def apply(grants, ref, *extra, kommune="3401", scheme="765.62", fte="1", year="2021", received=None):
    return ok(grants("apply", ref, "--kommune", kommune, "--scheme", scheme, "--title", "Ruskonsulent", "--fte", fte,
                     "--year", year, "--received", received or f"{year}-02-01", *extra))


def as_json(grants, *args):
    return json.loads(ok(grants(*args, "--format", "json")).stdout)


def explain(grants, ref, year):
    return as_json(grants, "explain", ref, "--year", str(year))


def issues(grants, *args):
    return {(r["ref"], r["year"], r["issue"]) for r in as_json(grants, "compliance", "--on", "2027-06-01", *args)}


def test_a_discretionary_amount_is_kept_beside_the_rule_amount_and_listed_with_its_deviation(grants):
    apply(grants, "D/1", fte="0.5")
    refused(grants, 2, "--amount: a discretionary amount on 765.62 needs a reason",
            "grant", "D/1", "--year", "2021", "--amount", "400000")
    ok(grants("grant", "D/1", "--year", "2021", "--amount", "400000", "--reason", "betydelige negative konsekvenser"))
    explained = explain(grants, "D/1", 2021)
    assert (explained["amount"], explained["rule_amount"], explained["deviation"]) == (400000, 330000, 70000)
    table = ok(grants("explain", "D/1", "--year", "2021")).stdout
    assert "discretion  decided 400 000 NOK against the rule's 330 000: deviation +70 000" in table
    ok(grants("advance", "D/1", "--year", "2022"))
    rows = as_json(grants, "funding", "--by", "position")
    assert [(r["year"], r["amount"], r["rule_amount"], r["deviation"]) for r in rows] == [
        (2021, 400000, 330000, 70000), (2022, 275000, None, None)]


def test_funding_resumed_after_a_gap_is_placed_on_the_ladder_with_a_reason(grants):
    apply(grants, "G/1", year="2018")
    ok(grants("grant", "G/1", "--year", "2018"))
    ok(grants("advance", "G/1", "--year", "2019"))
    refused(grants, 6, "--year: 'G/1' can only advance to 2020, got 2021 (a later year resumes funding after a "
                       "gap, with a reason)", "advance", "G/1", "--year", "2021")
    earlier = grants("advance", "G/1", "--year", "2019")  # not a gap: no word of resuming
    assert (earlier.exit_code, earlier.stderr) == (6, "Error: --year: 'G/1' can only advance to 2020, got 2019\n")
    ok(grants("advance", "G/1", "--year", "2021", "--ladder-year", "2", "--reason", "resumed after a vacant year"))
    assert (explain(grants, "G/1", 2021)["ladder_year"], explain(grants, "G/1", 2021)["amount"]) == (2, 550000)
    [row] = as_json(grants, "expiry")
    assert (row["last_fundable"], row["years_left"]) == (2023, 2)


def test_carry_over_moves_unspent_money_into_2026_and_reclaims_what_stays_unspent(grants):
    apply(grants, "V/1", kommune="1160", scheme="765.62-new", fte="0.8", year="2025", received="2025-02-20")
    ok(grants("grant", "V/1", "--year", "2025", "--amount", "600000", "--decided", "2025-03-15"))
    refused(grants, 6, "--from-year: 2025 has no report", "carry-over", "V/1", "--from-year", "2025",
            "--amount", "100000", "--reason", "approved")
    ok(grants("report", "V/1", "--year", "2025", "--spent", "450000", "--received", "2026-02-01"))
    refused(grants, 6, "--amount: 150 001 exceeds the unspent 150 000 of 2025", "carry-over", "V/1",
            "--from-year", "2025", "--amount", "150001", "--reason", "approved")
    refused(grants, 2, "--reason", "carry-over", "V/1", "--from-year", "2025", "--amount", "100000")
    ok(grants("carry-over", "V/1", "--from-year", "2025", "--amount", "100000", "--reason", "approved on application",
              "--decided", "2026-02-16"))
    ok(grants("report", "V/1", "--year", "2026", "--spent", "80000", "--received", "2026-11-20"))
    rows = as_json(grants, "funding", "--by", "position")
    assert [(r["year"], r["amount"], r["carried_in"], r["carried_out"], r["spent"], r["to_reclaim"]) for r in rows] == [
        (2025, 600000, 0, 100000, 450000, 50000), (2026, 0, 100000, 0, 80000, 20000)]
    explained = explain(grants, "V/1", 2026)
    assert explained["report"]["reclaim_arithmetic"] == (
        "0 paid + 100 000 carried in - 0 carried out - min(80 000 spent, 100 000 usable) = 20 000")
    refused(grants, 6, "765.62-new carries no money into 2027", "carry-over", "V/1", "--from-year", "2026",
            "--amount", "20000", "--reason", "again")


def test_a_termination_on_31_august_entitles_to_8_of_12_months_and_overspending_is_own_money(grants):
    apply(grants, "E/1")
    ok(grants("grant", "E/1", "--year", "2021"))
    ok(grants("terminate", "E/1", "--cause", "other", "--reason", "service ended", "--effective", "2021-08-31"))
    ok(grants("report", "E/1", "--year", "2021", "--spent", "500000", "--received", "2022-02-01"))
    [row] = as_json(grants, "funding", "--by", "position")
    # 660 000 x 8 / 12 = 440 000; 660 000 - min(500 000, 440 000) = 220 000; 60 000 the kommune's own
    assert (row["entitlement"], row["to_reclaim"], row["own_money"]) == (440000, 220000, 60000)
    assert explain(grants, "E/1", 2021)["report"]["months_funded"] == 8
    apply(grants, "E/2", fte="0.6", year="2019")
    ok(grants("grant", "E/2", "--year", "2019"))
    ok(grants("report", "E/2", "--year", "2019", "--spent", "100000", "--fte-filled", "0.3",
              "--received", "2020-02-01"))
    # 396 000 paid; 660 000 x 0.3 = 198 000 entitled; 396 000 - 100 000 = 296 000 to reclaim
    assert explain(grants, "E/2", 2019)["to_reclaim"] == 296000


def test_dates_that_make_no_sense_are_refused_and_a_late_application_is_flagged(grants):
    refused(grants, 2, "--received: 2099-01-01 is after today", "apply", "L/1", "--kommune", "3401", "--scheme",
            "765.62", "--title", "t", "--fte", "1", "--year", "2021", "--received", "2099-01-01")
    apply(grants, "L/1", received="2021-03-01", year="2021")
    refused(grants, 2, "--decided: 2021-02-15 is before the application was received on 2021-03-01",
            "grant", "L/1", "--year", "2021", "--decided", "2021-02-15")
    ok(grants("grant", "L/1", "--year", "2021", "--decided", "2021-03-15"))
    apply(grants, "L/2", kommune="4601", received="2021-05-20")  # Vestland's extra call ran to 25 May 2021
    found = issues(grants, "--year", "2021")
    assert ("L/1", 2021, "late-application") in found and ("L/2", 2021, "late-application") not in found
    [late] = [r for r in as_json(grants, "compliance", "--year", "2021") if r["issue"] == "late-application"]
    assert late["detail"] == "received 2021-03-01, deadline 2021-02-10"


def test_advancing_without_the_previous_years_report_is_flagged(grants):
    apply(grants, "R/1", "--permanence-plan", "Inn i økonomiplanen 2022-2025", year="2021")
    ok(grants("grant", "R/1", "--year", "2021"))
    ok(grants("advance", "R/1", "--year", "2022"))
    ok(grants("report", "R/1", "--year", "2022", "--spent", "550000", "--received", "2023-02-01"))
    ok(grants("advance", "R/1", "--year", "2023"))
    found = issues(grants, "--year", "2022") | issues(grants, "--year", "2023")
    assert ("R/1", 2022, "advanced-without-report") in found
    assert ("R/1", 2023, "advanced-without-report") not in found


def test_the_765_60_report_for_2020_is_due_15_march_2021(grants):
    apply(grants, "F/1", kommune="3403", scheme="765.60-adults", year="2020", received="2020-03-01")
    ok(grants("grant", "F/1", "--year", "2020", "--amount", "800000"))
    apply(grants, "F/2", kommune="3403", scheme="765.60-adults", year="2020", received="2020-03-01")
    ok(grants("grant", "F/2", "--year", "2020", "--amount", "800000"))
    ok(grants("report", "F/1", "--year", "2020", "--spent", "800000", "--attested", "auditor",
              "--received", "2021-03-15"))
    ok(grants("report", "F/2", "--year", "2020", "--spent", "800000", "--attested", "auditor",
              "--received", "2021-03-16"))
    found = issues(grants, "--year", "2020")
    assert ("F/1", 2020, "late-report") not in found and ("F/2", 2020, "late-report") in found


def test_self_financing_shortfalls_a_share_that_does_not_grow_and_missing_permanence_plans_are_flagged(grants):
    apply(grants, "S/1", "--wage-cost", "700000", year="2020")
    ok(grants("grant", "S/1", "--year", "2020"))                                    # 660 000
    ok(grants("report", "S/1", "--year", "2020", "--spent", "660000", "--self-financing", "40000",
              "--received", "2021-02-10"))
    ok(grants("advance", "S/1", "--year", "2021", "--wage-cost", "720000"))          # 550 000
    ok(grants("report", "S/1", "--year", "2021", "--spent", "550000", "--self-financing", "40000",
              "--received", "2022-02-15"))
    found = issues(grants)
    assert ("S/1", 2021, "self-financing") in found  # 720 000 - 550 000 = 170 000 needed, 40 000 documented
    assert ("S/1", 2021, "share-not-growing") in found  # the grant stepped down, the kommune's share did not grow
    assert ("S/1", 2020, "no-permanence-plan") in found
    assert ("S/1", 2020, "self-financing") not in found  # 700 000 - 660 000 = 40 000 documented


def test_a_765_60_team_grant_covers_3_5_fte_and_other_costs_and_keeps_its_amount(grants):
    refused(grants, 2, "--fte: must be more than 0 and at most 1, got '3.5'", "apply", "T/9", "--kommune", "3401",
            "--scheme", "765.62", "--title", "t", "--fte", "3.5", "--year", "2021")
    refused(grants, 6, "--other-costs: 765.62 covers salaries for positions only", "apply", "T/9", "--kommune",
            "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021", "--other-costs", "1000")
    apply(grants, "T/1", "--other-costs", "300000", "--wage-cost", "2800000", scheme="765.60-adults", fte="3.5",
          year="2023", received="2023-03-01")
    ok(grants("grant", "T/1", "--year", "2023", "--amount", "1400000"))
    ok(grants("reduce-fte", "T/1", "--fte", "3", "--effective", "2023-07-01"))
    assert explain(grants, "T/1", 2023)["amount"] == 1400000
    # The year's FTE is the one at its end in show as in the reports, also when the amount was kept.
    [shown] = as_json(grants, "show", "T/1")["years"]
    [reported] = as_json(grants, "funding", "--by", "position")
    assert (shown["fte"], shown["amount"]) == (reported["fte"], reported["amount"]) == (3, 1400000)
    ok(grants("reduce-fte", "T/1", "--fte", "2", "--effective", "2023-10-01", "--rescale"))
    # 1 400 000 x (3.5 x 9 + 2 x 3) / (12 x 3.5) = 1 250 000
    assert explain(grants, "T/1", 2023)["amount"] == 1250000


def test_a_split_kommune_continues_under_the_successor_named_and_reports_group_the_codes(grants):
    apply(grants, "K/1", kommune="1507")
    ok(grants("grant", "K/1", "--year", "2021"))
    ok(grants("advance", "K/1", "--year", "2022"))
    ok(grants("advance", "K/1", "--year", "2023"))
    refused(grants, 2, "--kommune: 1507 (Ålesund) was split on 2024-01-01 into 1508 (Ålesund), 1580 (Haram)",
            "advance", "K/1", "--year", "2024")
    ok(grants("advance", "K/1", "--year", "2024", "--kommune", "1580"))
    apply(grants, "H/1", kommune="3001")  # Halden: 3101 from 2024, recorded without being asked
    ok(grants("grant", "H/1", "--year", "2021"))
    for year in ("2022", "2023", "2024"):
        ok(grants("advance", "H/1", "--year", year))
    by_kommune = as_json(grants, "funding", "--by", "kommune")
    late = [r for r in by_kommune if r["year"] in (2023, 2024)]
    assert [(r["year"], r["kommunenummer"], r["office"], r["amount"]) for r in late] == [
        (2023, "1507", "more-og-romsdal", 330000), (2023, "3001", "ostfold-buskerud-oslo-akershus", 330000),
        (2024, "1580", "more-og-romsdal", 330000), (2024, "3101", "ostfold-buskerud-oslo-akershus", 330000)]
    haram = as_json(grants, "funding", "--by", "position", "--kommune", "1580")
    assert [(r["year"], r["kommunenummer"]) for r in haram] == [
        (2021, "1507"), (2022, "1507"), (2023, "1507"), (2024, "1580")]
    assert as_json(grants, "funding", "--by", "position", "--kommune", "1508") == []
    halden = as_json(grants, "funding", "--by", "position", "--kommune", "3101")
    assert [(r["year"], r["kommunenummer"]) for r in halden] == [
        (2021, "3001"), (2022, "3001"), (2023, "3001"), (2024, "3101")]
    history = as_json(grants, "history", "H/1")
    assert [e["event"] for e in history][-2:] == ["KommuneChanged", "YearAdvanced"]


def test_an_appropriation_is_set_by_an_admin_and_frames_show_their_sum_against_it(grants):
    ok(grants("frame", "set", "--office", "innlandet", "--scheme", "765.62", "--year", "2021", "--amount", "32000000"))
    ok(grants("frame", "set", "--office", "vestland", "--scheme", "765.62", "--year", "2021", "--amount", "40000000"))
    result = ok(grants("appropriation", "set", "--scheme", "765.62", "--year", "2021", "--amount", "455000000",
                       "--reason", "SF Innlandet søknadsverksted 07.01.2021"))
    assert result.stdout.strip() == "appropriation 765.62 2021: 455 000 000 NOK, version 1"
    ok(grants("appropriation", "set", "--scheme", "765.60-adults", "--year", "2021", "--amount", "185000000"))
    ok(grants("appropriation", "set", "--scheme", "765.60-youth", "--year", "2021", "--amount", "47000000"))
    rows = as_json(grants, "frames", "--year", "2021")
    national = {r["scheme"]: (r["frame"], r["appropriation"], r["unallocated"]) for r in rows if r["office"] is None}
    assert national == {"765.62": (72000000, 455000000, 383000000), "765.60-adults": (0, 185000000, 185000000),
                        "765.60-youth": (0, 47000000, 47000000)}
    refused(grants, 2, "--amount: must be whole kroner", "appropriation", "set", "--scheme", "765.62", "--year", "2021",
            "--amount", "455 mill")


def test_only_an_admin_sets_an_appropriation(grants):
    ok(grants("init", env_extra={"GRANTS_ACTOR": "boss"}))
    ok(grants("users", "add", "kari", "--role", "caseworker", "--office", "innlandet",
              env_extra={"GRANTS_ACTOR": "boss"}))
    before = event_count(grants.url)
    result = grants("appropriation", "set", "--scheme", "765.62", "--year", "2021", "--amount", "455000000",
                    env_extra={"GRANTS_ACTOR": "kari"})
    assert result.exit_code == 5 and "setting appropriations" in result.stderr
    assert event_count(grants.url) == before


def test_an_amount_of_0_is_not_a_grant_but_a_rejection(grants):
    """Granting or funding 0 kroner pays nothing: the decision is `reject` (or `terminate`)."""
    apply(grants, "Z/1", scheme="765.60-youth", year="2023")
    refused(grants, 2, "--amount: must be more than 0, got 0", "grant", "Z/1", "--year", "2023", "--amount", "0")
    ok(grants("grant", "Z/1", "--year", "2023", "--amount", "300000"))
    refused(grants, 2, "--amount: must be more than 0, got 0", "advance", "Z/1", "--year", "2024", "--amount", "0")
    apply(grants, "Z/2")  # a ladder scheme: 0 is no discretionary amount either
    refused(grants, 2, "--amount: must be more than 0, got 0", "grant", "Z/2", "--year", "2021", "--amount", "0",
            "--reason", "nothing")
