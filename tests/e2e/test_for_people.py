"""Amounts for people and forgiving input: what a caseworker reads and types."""

import json

import pytest

from tests.e2e.test_cli import REF, apply, as_json, event_count


def test_tables_group_kroner_show_fte_with_two_decimals_headings_in_words_and_office_names(grants):
    apply(grants, year="2019", fte="0.5")
    grants("grant", REF, "--year", "2019")
    grants("report", REF, "--year", "2019", "--spent", "250000", "--received", "2020-02-01")
    assert grants("funding").stdout.splitlines() == [
        "year  office     positions   fte   amount    spent  to reclaim",
        "----  ---------  ---------  ----  -------  -------  ----------",
        "2019  Innlandet          1  0.50  330 000  250 000      80 000",
    ]


def test_a_narrow_terminal_gets_office_ids_instead_of_names(grants):
    apply(grants, "N/1", kommune="0301", year="2021")
    grants("grant", "N/1", "--year", "2021")
    wide = grants("funding", "--by", "position").stdout.splitlines()
    assert wide[2].startswith("N/1  0301         Østfold, Buskerud, Oslo og Akershus  765.62")
    narrow = grants("funding", "--by", "position", env_extra={"COLUMNS": "80"}).stdout.splitlines()
    assert narrow[2].startswith("N/1  0301         ostfold-buskerud-oslo-akershus  765.62  2021            1  "
                                "1.00  660 000")


def test_csv_and_json_stay_raw_with_numbers_as_numbers(grants):
    apply(grants, year="2019", fte="0.5")
    grants("grant", REF, "--year", "2019")
    assert grants("funding", "--format", "csv").stdout.splitlines()[1] == "2019,innlandet,1,0.50,330000,0,0"
    text = grants("funding", "--format", "json").stdout
    assert '"fte": 0.50' in text and '"amount": 330000' in text
    winddown = json.loads(grants("winddown", "--format", "json").stdout)
    assert {type(row["fte"]) for row in winddown["per_year"]} == {float}  # 0 positions: 0.00 as every FTE


@pytest.mark.parametrize("args, header", [
    (["funding"], "year,office,positions,fte,amount,spent,to_reclaim"),
    (["funding", "--by", "position"], "ref,kommunenummer,office,scheme,year,ladder_year,fte,amount,spent,to_reclaim,"
                                      "rule_amount,entitlement,carried_in,carried_out,own_money,deviation"),
    (["expiry"], "ref,office,kommunenummer,scheme,status,first_year,last_funded,last_fundable,years_left,ends"),
    (["compliance"], "ref,year,office,kommunenummer,scheme,issue,detail"),
    (["frames"], "year,office,scheme,frame,granted,left,over_frame_grants,appropriation,unallocated,set_by"),
    (["winddown", "--violations"], "ref,office,kommunenummer,status,last_funded,problem"),
    (["history", REF], "version,event,recorded,effective,actor,status,fte,ladder_year,year,amount,reason,login,"
                       "claimed,details"),
    (["users", "list"], "name,role,office"),
])
def test_an_empty_csv_still_has_its_header_row(grants, args, header):
    if args[0] == "history":
        apply(grants)
        assert grants(*args, "--format", "csv").stdout.splitlines()[0] == header
        return
    assert grants(*args, "--format", "csv").stdout == header + "\n"


def test_winddown_csv_is_one_table(grants):
    assert grants("winddown", "--format", "csv").stdout.splitlines() == [
        "year,positions,fte,amount", "2021,0,0.00,0", "2022,0,0.00,0", "2023,0,0.00,0", "2024,0,0.00,0"]


def test_show_csv_has_each_funded_year_with_its_report_and_the_termination(grants):
    apply(grants, year="2021")
    grants("grant", REF, "--year", "2021")
    grants("advance", REF, "--year", "2022")
    grants("report", REF, "--year", "2021", "--spent", "600000", "--self-financing", "100000",
           "--received", "2022-02-20")
    grants("report", REF, "--year", "2021", "--spent", "650000", "--self-financing", "100000", "--correction",
           "--reason", "late invoice", "--received", "2022-03-01")
    grants("terminate", REF, "--cause", "withdrawn", "--reason", "moved", "--effective", "2022-08-31")
    rows = grants("show", REF, "--format", "csv").stdout.splitlines()
    assert rows == [
        "ref,kommunenummer,office,scheme,status,year,ladder_year,fte,amount,granted_amount,rule,reports,spent,"
        "to_reclaim,fte_filled,self_financing,attested,report_received,end_cause,end_effective,end_reason,rejection,"
        "carried_in,carried_out",
        "2021/4711-3,3401,innlandet,765.62,terminated,2021,1,1.00,660000,660000,765.62/ladder-2017,2,650000,10000,,"
        "100000,self,2022-03-01,withdrawn,2022-08-31,moved,,0,0",
        "2021/4711-3,3401,innlandet,765.62,terminated,2022,2,1.00,550000,550000,765.62/transitional-2022,0,,,,,,,"
        "withdrawn,2022-08-31,moved,,0,0",
    ]


def test_a_rejected_application_is_one_csv_row(grants):
    apply(grants)
    grants("reject", REF, "--reason", "outside the scheme")
    rows = grants("show", REF, "--format", "csv").stdout.splitlines()
    assert rows[1] == "2021/4711-3,3401,innlandet,765.62,rejected,,,,,,,0,,,,,,,,,,outside the scheme,,"


def test_explain_prints_the_exact_fraction_and_the_rounded_kroner(grants):
    apply(grants, "E/1", scheme="765.62-new", year="2023", fte="0.9")
    grants("grant", "E/1", "--year", "2023", "--amount", "400000")
    grants("reduce-fte", "E/1", "--fte", "0.4", "--effective", "2023-04-01")
    out = grants("explain", "E/1", "--year", "2023").stdout
    assert "  basis       entered amount 400 000 NOK at FTE 0.90\n" in out
    assert ("  arithmetic  400 000 x (0.90 x 3 + 0.40 x 9) / (12 x 0.90) = 700 000/3 (233 333.33...) "
            "-> 233 333 NOK (rounded half up to whole kroner)\n") in out
    assert as_json(grants("explain", "E/1", "--year", "2023", "--format", "json"))["exact"] == "700000/3"


def test_report_and_terminate_summarise_the_year_they_touched(grants):
    apply(grants, year="2021")
    grants("grant", REF, "--year", "2021")
    grants("advance", REF, "--year", "2022")
    reported = grants("report", REF, "--year", "2021", "--spent", "600000", "--received", "2022-02-20")
    assert reported.stdout == ("reported 2021/4711-3: active, version 4; 2021: 660 000 NOK, ladder year 1, "
                               "rule 765.62/ladder-2017; spent 600 000, to reclaim 60 000\n")
    ended = grants("terminate", REF, "--cause", "withdrawn", "--reason", "moved", "--effective", "2022-08-31")
    assert ended.stdout == ("terminated 2021/4711-3: terminated, version 5; 2022: 550 000 NOK, ladder year 2, "
                            "rule 765.62/transitional-2022; ends 2022-08-31 (withdrawn)\n")


def test_a_kommune_by_name_is_resolved_for_the_year_and_a_shared_name_lists_the_candidates(grants):
    apply(grants, "K/1", kommune="hamar")
    apply(grants, "K/2", kommune="Asker", year="2021")
    apply(grants, "K/3", kommune="Asker", year="2024", scheme="765.62-new")
    assert [as_json(grants("show", ref, "--format", "json"))["kommunenummer"] for ref in ("K/1", "K/2", "K/3")] == [
        "3403", "3025", "3203"]
    before = event_count(grants.url)
    shared = grants("apply", "K/4", "--kommune", "Herøy", "--scheme", "765.62", "--title", "t", "--fte", "1",
                    "--year", "2021")
    assert (shared.exit_code, shared.stderr) == (2, "Error: --kommune: 'Herøy' names more than one kommune: "
                                                    "1515 Herøy (Møre og Romsdal), 1818 Herøy (Nordland); "
                                                    "give the kommunenummer\n")
    typo = grants("apply", "K/4", "--kommune", "Hamarr", "--scheme", "765.62", "--title", "t", "--fte", "1",
                  "--year", "2021")
    assert typo.exit_code == 2 and typo.stderr.endswith("; did you mean Hamar?\n")
    assert event_count(grants.url) == before
    assert grants("funding", "--kommune", "HAMAR", "--format", "csv").exit_code == 0


def test_offices_are_case_insensitive_and_may_be_named(grants):
    for office in ("Innlandet", "STATSFORVALTEREN I INNLANDET", "innlandet"):
        assert grants("funding", "--office", office, "--format", "csv").exit_code == 0, office
    added = grants("users", "add", "kari", "--role", "caseworker", "--office", "Møre og Romsdal")
    assert added.stdout == "user 'kari': caseworker at more-og-romsdal, version 1\n"


@pytest.mark.parametrize("option, value, message", [
    ("--fte", "50", "--fte: must be more than 0 and at most 1, got '50'; did you mean 0.50?"),
    ("--fte", "100%", "--fte: must be more than 0 and at most 1, got '100%'; did you mean 1.00?"),
    ("--received", "01.07.2021", "--received: must be an ISO date such as 2024-03-01, got '01.07.2021'; "
                                 "did you mean 2021-07-01?"),
    ("--wage-cost", "5" * 200, "--wage-cost: must be between 0 and 100 000 000 000, got '" + "5" * 59 + "…"),
    ("--title", "x" * 300, "--title: must be at most 200 characters, got '" + "x" * 59 + "…"),
])
def test_bad_values_get_a_hint_name_the_option_and_echo_a_prefix(grants, option, value, message):
    args = {"--kommune": "3401", "--scheme": "765.62", "--title": "t", "--fte": "1", "--year": "2021", option: value}
    result = grants("apply", "H/1", *[part for pair in args.items() for part in pair])
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


def test_a_decimal_comma_and_grouped_kroner_are_read_as_written(grants):
    apply(grants, "C/1", scheme="765.62-new", year="2023", fte="0,5")
    assert grants("grant", "C/1", "--year", "2023", "--amount", "300 000").exit_code == 0
    view = as_json(grants("show", "C/1", "--format", "json"))
    assert (str(view["fte"]), view["years"][0]["amount"]) == ("0.50", 300000)


def test_a_split_kommune_may_be_named_when_funding_continues(grants):
    apply(grants, "S/1", kommune="Ålesund", year="2021")  # 1507 in 2021
    for year in ("2021", "2022", "2023"):
        assert grants("grant" if year == "2021" else "advance", "S/1", "--year", year).exit_code == 0
    result = grants("advance", "S/1", "--year", "2024", "--kommune", "haram")
    assert result.exit_code == 0, result.output
    assert as_json(grants("show", "S/1", "--format", "json"))["kommunenummer"] == "1580"
