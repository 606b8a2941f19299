"""Decisions caseworkers really make (issue 10), on the aggregate, with hand-checked figures."""

from datetime import date
from decimal import Decimal

import pytest

from grants.domain import rules
from grants.domain.appropriation import Appropriation
from grants.domain.errors import InvalidInput, RuleRefused
from grants.domain.kommuner import lookup
from grants.domain.position import GrantPosition


def position(ref="P/1", scheme="765.62", year=2021, fte="1", kommune="3401", received=None, **extra):
    return GrantPosition.apply_for(ref=ref, kommune=lookup(kommune, year), scheme=scheme, title="Ruskonsulent",
                                   fte=Decimal(fte), year=year, received=received or date(year, 2, 1), **extra)


def replayed(p):
    state = None
    for domain_event in p._pending_events:
        state = domain_event.mutate(state)
    return state


# --- 1. discretion (skjønn) ---------------------------------------------------------------------

def test_a_discretionary_amount_is_recorded_beside_the_rule_amount():
    p = position(fte="0.5")
    p.grant(year=2021, decided=date(2021, 3, 1), amount=400_000, reason="betydelige negative konsekvenser")
    granted = p._pending_events[-1]
    # the rule: 660 000 x 0.5 = 330 000; decided 400 000: deviation +70 000
    assert (granted.amount, granted.rule_amount, granted.rate) == (400_000, 330_000, 660_000)
    p.advance(year=2022, decided=date(2022, 3, 1))
    assert (p.years[2022].amount, p.years[2022].rule_amount) == (275_000, None)  # back to the rule: 550 000 x 0.5
    assert replayed(p).years == p.years


def test_a_discretionary_amount_without_a_reason_is_a_usage_error():
    p = position()
    with pytest.raises(InvalidInput, match="amount: a discretionary amount on 765.62 needs a reason"):
        p.grant(year=2021, decided=date(2021, 3, 1), amount=700_000)
    p.grant(year=2021, decided=date(2021, 3, 1))
    with pytest.raises(InvalidInput, match="needs a reason"):
        p.advance(year=2022, decided=date(2022, 3, 1), amount=600_000)


def test_a_discretionary_amount_follows_an_fte_reduction_like_the_rule_amount():
    p = position(year=2019)
    p.grant(year=2019, decided=date(2019, 3, 1), amount=700_000, reason="softened reduction")
    p.reduce_fte(fte=Decimal("0.5"), effective=date(2019, 7, 1))
    # 700 000 x (1 x 6 + 0.5 x 6) / 12 = 525 000; the rule's 660 000 x 9 / 12 = 495 000
    assert p.years[2019].amount == 525_000
    assert p.years[2019].rule_computation().amount == 495_000


def test_funding_resumed_after_a_gap_needs_a_reason_and_may_place_the_position_on_the_ladder():
    p = position(year=2018)
    p.grant(year=2018, decided=date(2018, 3, 1))
    p.advance(year=2019, decided=date(2019, 3, 1))
    with pytest.raises(RuleRefused, match="can only advance to 2020, got 2021"):
        p.advance(year=2021, decided=date(2021, 3, 1))
    resumed = position(ref="P/2", year=2018)
    resumed.grant(year=2018, decided=date(2018, 3, 1))
    resumed.advance(year=2019, decided=date(2019, 3, 1))
    resumed.advance(year=2021, decided=date(2021, 3, 1), reason="resumed after a vacant year")
    assert (resumed.years[2021].ladder_year, resumed.years[2021].amount) == (3, 440_000)  # the gap is no ladder year
    p.advance(year=2021, decided=date(2021, 3, 1), reason="resumed; placed by how long it was funded", ladder_year=2)
    assert (p.years[2021].ladder_year, p.years[2021].amount) == (2, 550_000)
    with pytest.raises(RuleRefused, match="placed on the ladder at its first grant or when funding resumes"):
        p.advance(year=2022, decided=date(2022, 3, 1), ladder_year=2, reason="again")
    assert rules.last_fundable_year("765.62", 2021, 2) == 2023


def test_the_transitional_rule_does_not_resume_a_position_not_funded_in_2021():
    p = position(year=2019)
    p.grant(year=2019, decided=date(2019, 3, 1))
    p.advance(year=2020, decided=date(2020, 3, 1))
    with pytest.raises(RuleRefused, match="transitional rule, which only continues positions funded in 2021"):
        p.advance(year=2022, decided=date(2022, 3, 1), reason="resumed")


def test_the_2023_transitional_rate_follows_the_ladder_where_the_office_practice_says_so(monkeypatch):
    monkeypatch.setenv("GRANTS_PRACTICE", "transitional-2023=ladder")
    p = position()
    p.grant(year=2021, decided=date(2021, 3, 1))
    for year in (2022, 2023, 2024):
        p.advance(year=year, decided=date(year, 3, 1))
    assert {y: (f.amount, f.rule_id) for y, f in p.years.items()} == {
        2021: (660_000, "765.62/ladder-2017"), 2022: (550_000, "765.62/transitional-2022"),
        2023: (440_000, "765.62/transitional-2023-ladder"), 2024: (330_000, "765.62/transitional-2023")}
    monkeypatch.setenv("GRANTS_PRACTICE", "transitional-2023=steep")
    with pytest.raises(InvalidInput, match="GRANTS_PRACTICE: unknown practice 'transitional-2023=steep'"):
        rules.rule_for("765.62", 2023)


# --- 2. carry-over -------------------------------------------------------------------------------

def test_unspent_money_is_carried_into_the_next_year_even_past_the_last_paying_year():
    p = position(ref="V/1", scheme="765.62-new", year=2025, fte="0.8", kommune="1160")
    p.grant(year=2025, decided=date(2025, 3, 15), amount=600_000)
    with pytest.raises(RuleRefused, match="from_year: 2025 has no report"):
        p.carry_over(from_year=2025, amount=1, reason="approved", decided=date(2026, 2, 16))
    p.report(year=2025, spent=450_000, received=date(2026, 2, 1))
    assert p.money(2025).to_reclaim == 150_000
    with pytest.raises(RuleRefused, match="amount: 150 001 exceeds the unspent 150 000 of 2025"):
        p.carry_over(from_year=2025, amount=150_001, reason="approved", decided=date(2026, 2, 16))
    p.carry_over(from_year=2025, amount=100_000, reason="approved on application", decided=date(2026, 2, 16))
    assert p.money(2025).to_reclaim == 50_000  # nothing to reclaim for the carried part
    p.report(year=2026, spent=80_000, received=date(2027, 2, 1))
    assert (p.money(2026).to_reclaim, p.money(2026).own_money) == (20_000, 0)  # 100 000 carried in, 80 000 spent
    with pytest.raises(RuleRefused, match="765.62-new carries no money into 2027"):
        p.carry_over(from_year=2026, amount=20_000, reason="again", decided=date(2027, 2, 1))
    assert replayed(p).carried_in == {2026: 100_000}


def test_a_transitional_position_carries_2024_money_into_2025():
    p = position(year=2021)
    p.grant(year=2021, decided=date(2021, 3, 1))
    for year in (2022, 2023, 2024):
        p.advance(year=year, decided=date(year, 3, 1))
    p.terminate(cause="wound-down", reason="transitional rule ended", effective=date(2024, 12, 31))
    p.report(year=2024, spent=200_000, received=date(2025, 2, 1))
    p.carry_over(from_year=2024, amount=130_000, reason="approved transfer", decided=date(2025, 2, 20))
    assert (p.money(2024).to_reclaim, p.carried_in) == (0, {2025: 130_000})


# --- 3. entitlement ------------------------------------------------------------------------------

def test_a_termination_on_31_august_ends_the_entitlement_with_august():
    p = position()
    p.grant(year=2021, decided=date(2021, 3, 1))
    p.terminate(cause="other", reason="service ended", effective=date(2021, 8, 31))
    p.report(year=2021, spent=500_000, received=date(2022, 2, 1))
    money = p.money(2021)
    # 660 000 x 8 / 12 = 440 000; to reclaim 660 000 - min(500 000, 440 000) = 220 000; own money 60 000
    assert (money.entitlement, money.to_reclaim, money.own_money) == (440_000, 220_000, 60_000)
    assert p._pending_events[-1].to_reclaim == 220_000


def test_the_fte_filled_scales_the_entitlement():
    p = position(year=2019, fte="0.6")
    p.grant(year=2019, decided=date(2019, 3, 1))  # 660 000 x 0.6 = 396 000
    p.report(year=2019, spent=100_000, fte_filled=Decimal("0.3"), received=date(2020, 2, 1))
    # 660 000 x 0.3 x 12 / 12 = 198 000 entitled; 396 000 - min(100 000, 198 000) = 296 000
    assert (p.money(2019).entitlement, p.money(2019).to_reclaim) == (198_000, 296_000)
    full = position(ref="P/2", year=2019)
    full.grant(year=2019, decided=date(2019, 3, 1))
    full.reduce_fte(fte=Decimal("0.5"), effective=date(2019, 7, 1))  # 495 000
    full.report(year=2019, spent=420_000, fte_filled=Decimal("0.6"), received=date(2020, 2, 1))
    # 660 000 x 0.6 = 396 000 entitled; 495 000 - 396 000 = 99 000; 24 000 of the kommune's own money
    assert (full.money(2019).entitlement, full.money(2019).to_reclaim, full.money(2019).own_money) == (
        396_000, 99_000, 24_000)


def test_spending_above_the_grant_is_own_money_never_a_negative_reclaim():
    p = position(year=2019)
    p.grant(year=2019, decided=date(2019, 3, 1))
    p.report(year=2019, spent=700_000, received=date(2020, 2, 1))
    assert (p.money(2019).to_reclaim, p.money(2019).own_money) == (0, 40_000)


# --- 4. dates ------------------------------------------------------------------------------------

def test_a_decision_dated_before_the_application_was_received_is_invalid():
    p = position(received=date(2021, 3, 1))
    with pytest.raises(InvalidInput, match="decided: 2021-02-15 is before the application was received on 2021-03-01"):
        p.grant(year=2021, decided=date(2021, 2, 15))
    with pytest.raises(InvalidInput, match="before the application was received"):
        p.reject(reason="late", decided=date(2021, 1, 2))


def test_application_deadlines_come_from_data_with_an_office_extra_call_first():
    assert rules.application_due("765.62", 2021) == date(2021, 2, 10)
    assert rules.application_due("765.62", 2021, "vestland") == date(2021, 5, 25)
    assert rules.application_due("765.62", 2021, "agder") == date(2021, 10, 1)
    assert rules.application_due("765.62", 2021, "innlandet") == date(2021, 2, 10)
    assert rules.report_due("765.60-adults", 2020) == date(2021, 3, 15)  # not 1 March
    assert rules.report_due("765.60-youth", 2020) == date(2021, 3, 15)


# --- 5. self-financing and permanence --------------------------------------------------------

def test_the_wage_cost_is_updated_at_advance_and_the_permanence_plan_kept():
    p = position(wage_cost=700_000, permanence_plan="Inn i økonomiplanen 2022-2025")
    p.grant(year=2021, decided=date(2021, 3, 1))
    p.advance(year=2022, decided=date(2022, 3, 1), wage_cost=720_000)
    assert (p.years[2021].wage_cost, p.years[2022].wage_cost, p.wage_cost) == (700_000, 720_000, 720_000)
    assert replayed(p).permanence_plan == "Inn i økonomiplanen 2022-2025"


# --- 6. 765.60 team grants -----------------------------------------------------------------------

def test_a_765_60_team_grant_covers_3_5_fte_and_keeps_its_amount_on_a_formal_fte_change():
    p = position(scheme="765.60-adults", year=2023, fte="3.5", other_costs=300_000)
    p.grant(year=2023, decided=date(2023, 4, 1), amount=1_400_000)
    p.reduce_fte(fte=Decimal("3"), effective=date(2023, 7, 1))
    assert (p.years[2023].amount, p.fte) == (1_400_000, Decimal("3"))
    with pytest.raises(RuleRefused, match="exceeds the previous year's 1 400 000"):
        p.advance(year=2024, decided=date(2024, 4, 1), amount=1_400_001)
    rescaled = position(ref="P/2", scheme="765.60-adults", year=2023, fte="3.5")
    rescaled.grant(year=2023, decided=date(2023, 4, 1), amount=1_400_000)
    rescaled.reduce_fte(fte=Decimal("3"), effective=date(2023, 7, 1), rescale=True)
    # 1 400 000 x (3.5 x 6 + 3 x 6) / (12 x 3.5) = 1 300 000; next year at most 1 400 000 x 3 / 3.5
    assert rescaled.years[2023].amount == 1_300_000
    with pytest.raises(RuleRefused, match="exceeds the previous year's 1 200 000"):
        rescaled.advance(year=2024, decided=date(2024, 4, 1), amount=1_200_001)
    assert replayed(p).years == p.years and replayed(rescaled).years == rescaled.years


def test_more_than_one_fte_and_other_costs_only_where_the_scheme_allows_them():
    with pytest.raises(InvalidInput, match="fte: 765.62 allows at most 1 FTE per grant, got '1.5'"):
        position(fte="1.5")
    with pytest.raises(RuleRefused, match="other_costs: 765.62 covers salaries for positions only"):
        position(other_costs=10_000)
    team = position(scheme="765.60-youth", year=2023, fte="3.5")
    team.grant(year=2023, decided=date(2023, 4, 1), amount=900_000)
    with pytest.raises(InvalidInput, match="fte_filled: 765.60-youth allows at most 20 FTE"):
        team.report(year=2023, spent=1, fte_filled=Decimal("21"), received=date(2024, 3, 1))


# --- 7. kommune reforms --------------------------------------------------------------------------

def test_a_renumbered_kommune_continues_under_its_successor_when_advancing_into_2024():
    p = position(kommune="3001")  # Halden, 3101 from 2024
    p.grant(year=2021, decided=date(2021, 3, 1))
    for year in (2022, 2023):
        p.advance(year=year, decided=date(year, 3, 1))
    assert p.kommunenummer == "3001"
    p.advance(year=2024, decided=date(2024, 3, 1))
    changed = p._pending_events[-2]
    assert (type(changed).__name__, changed.from_kommunenummer, changed.to_kommunenummer, changed.effective) == (
        "KommuneChanged", "3001", "3101", date(2024, 1, 1))
    assert (p.kommunenummer, p.office, replayed(p).kommunenummer) == ("3101", "ostfold-buskerud-oslo-akershus", "3101")


def test_a_split_kommune_needs_the_caseworker_to_name_the_successor():
    p = position(kommune="1507")  # Ålesund, split into 1508 Ålesund and 1580 Haram
    p.grant(year=2021, decided=date(2021, 3, 1))
    for year in (2022, 2023):
        p.advance(year=year, decided=date(year, 3, 1))
    split = r"1507 \(Ålesund\) was split on 2024-01-01 into 1508 \(Ålesund\), 1580 \(Haram\)"
    with pytest.raises(InvalidInput, match=split):
        p.advance(year=2024, decided=date(2024, 3, 1))
    with pytest.raises(InvalidInput, match="continues under 1508 or 1580, got '3401'"):
        p.advance(year=2024, decided=date(2024, 3, 1), kommune="3401")
    p.advance(year=2024, decided=date(2024, 3, 1), kommune="1580")
    assert (p.kommunenummer, p.years[2024].amount) == ("1580", 330_000)


# --- 8. appropriations ---------------------------------------------------------------------------

def test_an_appropriation_is_recorded_and_revised_as_events():
    appropriation = Appropriation.record(scheme="765.62", year=2021, amount=455_000_000, reason="called")
    appropriation.revise(amount=449_360_000, reason="SF Oslo og Viken 2021")
    assert (appropriation.amount, [type(e).__name__ for e in appropriation._pending_events]) == (
        449_360_000, ["AppropriationSet", "AppropriationRevised"])
    assert Appropriation.create_id("765.62", 2021) == appropriation.id


def test_a_commands_arguments_are_its_fields_but_the_ref_in_order():
    from dataclasses import fields, replace

    from grants.domain.commands import Advance, Grant, parse

    grant = parse(Grant, ref="2021/1", year="2021", reason="placed", ladder_year="2")
    assert list(grant.arguments()) == [item.name for item in fields(Grant) if item.name != "ref"]
    assert grant.arguments() == {"year": 2021, "ladder_year": 2, "amount": None, "decided": None,
                                 "reason": "placed", "over_frame": False, "pre_project": False}
    moved = replace(parse(Advance, ref="2021/1", year="2022"), kommune="3401")
    assert moved.arguments()["kommune"] == "3401" and "ref" not in moved.arguments()
