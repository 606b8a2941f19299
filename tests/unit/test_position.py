from datetime import date
from decimal import Decimal

import pytest

from grants.domain.errors import InvalidInput, RuleRefused
from grants.domain.kommuner import lookup
from grants.domain.position import GrantPosition


def new_position(ref="2021/4711-3", scheme="765.62", year=2021, fte="1", kommune="3401"):
    return GrantPosition.apply_for(ref=ref, kommune=lookup(kommune, year), scheme=scheme,
                                   title="Ruskonsulent", fte=Decimal(fte), year=year,
                                   received=date(year, 2, 1))


def replayed(position):
    """Rebuild a position from the events it has recorded so far (without consuming them)."""
    state = None
    for domain_event in position._pending_events:
        state = domain_event.mutate(state)
    return state


def test_a_position_first_funded_2021_runs_the_ladder_then_the_transitional_rule_and_ends_in_2024():
    position = new_position()
    position.grant(year=2021, decided=date(2021, 3, 1))
    for year in (2022, 2023, 2024):
        position.advance(year=year, decided=date(year, 3, 1))
    assert {y: f.amount for y, f in position.years.items()} == {
        2021: 660_000, 2022: 550_000, 2023: 330_000, 2024: 330_000}
    assert [f.ladder_year for f in position.years.values()] == [1, 2, 3, 4]
    with pytest.raises(RuleRefused, match="after 2024"):
        position.advance(year=2025, decided=date(2025, 3, 1))
    position.report(year=2024, spent=300_000, received=date(2025, 2, 1))
    position.terminate(cause="wound-down", reason="transitional rule ended", effective=date(2024, 12, 31))
    position.report(year=2024, spent=310_000, correction=True, received=date(2024, 12, 31))  # reports still come after the end
    state = replayed(position)
    assert state.status == "terminated"
    assert [r.to_reclaim for r in state.reports[2024]] == [30_000, 20_000]
    assert state.years == position.years


def test_every_event_records_the_actor_and_the_business_date(caseworker):
    position = new_position()
    position.grant(year=2021, decided=date(2021, 3, 15), reason="meets the criteria")
    granted = position._pending_events[-1]
    assert (granted.actor, granted.effective, granted.reason) == (caseworker, date(2021, 3, 15), "meets the criteria")
    assert (granted.rule_id, granted.rate, granted.amount) == ("765.62/ladder-2017", 660_000, 660_000)


def test_a_fifth_funded_year_is_refused_as_expired():
    position = new_position(year=2017)
    position.grant(year=2017, decided=date(2017, 3, 1))
    for year in (2018, 2019, 2020):
        position.advance(year=year, decided=date(year, 3, 1))
    with pytest.raises(RuleRefused, match="expired after 4 funded years"):
        position.advance(year=2021, decided=date(2021, 3, 1))


def test_a_position_funded_before_2017_may_be_placed_on_the_ladder_with_a_reason():
    position = new_position(year=2017)
    with pytest.raises(InvalidInput, match="reason: is required to place a position on the ladder"):
        position.grant(year=2017, ladder_year=3, decided=date(2017, 3, 1))  # a missing value: exit 2
    position.grant(year=2017, ladder_year=3, reason="funded since 2015", decided=date(2017, 3, 1))
    position.advance(year=2018, decided=date(2018, 3, 1))
    assert position.years[2018].amount == 330_000
    with pytest.raises(RuleRefused, match="expired"):
        position.advance(year=2019, decided=date(2019, 3, 1))


def test_a_new_765_62_position_after_2021_is_refused_and_pointed_to_the_new_scheme():
    with pytest.raises(RuleRefused, match="765.62-new"):
        new_position(year=2022)


def test_advance_only_moves_to_the_next_calendar_year():
    position = new_position(year=2019)
    position.grant(year=2019, decided=date(2019, 3, 1))
    with pytest.raises(RuleRefused, match="can only advance to 2020"):
        position.advance(year=2021, decided=date(2021, 3, 1))


def test_no_grant_after_reject_or_before_apply_is_granted_twice():
    position = new_position()
    position.reject(reason="not anchored in the plan", decided=date(2021, 3, 1))
    with pytest.raises(RuleRefused, match="rejected"):
        position.grant(year=2021, decided=date(2021, 3, 1))
    active = new_position(ref="b")
    active.grant(year=2021, decided=date(2021, 3, 1))
    with pytest.raises(RuleRefused, match="only an application"):
        active.grant(year=2021, decided=date(2021, 3, 1))


def test_a_terminated_position_cannot_advance():
    position = new_position()
    position.grant(year=2021, decided=date(2021, 3, 1))
    position.terminate(cause="withdrawn", reason="position not filled", effective=date(2024, 12, 31))
    with pytest.raises(RuleRefused, match="terminated"):
        position.advance(year=2022, decided=date(2022, 3, 1))


def test_a_reduction_from_1_july_in_ladder_year_one_gives_495_000():
    position = new_position(year=2019)
    position.grant(year=2019, decided=date(2019, 3, 1))
    position.reduce_fte(fte=Decimal("0.5"), effective=date(2019, 7, 1))
    assert position.years[2019].amount == 495_000
    position.advance(year=2020, decided=date(2020, 3, 1))
    assert position.years[2020].amount == 275_000  # the later year is paid at the new FTE
    assert replayed(position).years == position.years


def test_two_reductions_in_one_year_prorate_each_stretch():
    position = new_position(year=2019)
    position.grant(year=2019, decided=date(2019, 3, 1))
    position.reduce_fte(fte=Decimal("0.8"), effective=date(2019, 4, 1))
    position.reduce_fte(fte=Decimal("0.5"), effective=date(2019, 10, 1))
    # 660 000 x (1 x 3 + 0.8 x 6 + 0.5 x 3) / 12 = 511 500
    assert position.years[2019].amount == 511_500


@pytest.mark.parametrize("fte, effective, message", [
    ("1", date(2019, 7, 1), "must lower the FTE"),
    ("0.5", date(2019, 7, 2), "first day of a month"),
    ("0.5", date(2020, 1, 1), "latest funded year 2019"),
])
def test_a_reduction_must_lower_the_fte_on_the_first_of_a_month_in_a_funded_year(fte, effective, message):
    position = new_position(year=2019)
    position.grant(year=2019, decided=date(2019, 3, 1))
    with pytest.raises(RuleRefused, match=message):
        position.reduce_fte(fte=Decimal(fte), effective=effective)


def test_one_report_per_funded_year_and_corrections_are_new_events():
    position = new_position(year=2019)
    position.grant(year=2019, decided=date(2019, 3, 1))
    with pytest.raises(RuleRefused, match="not funded in 2020"):
        position.report(year=2020, spent=1, received=date(2020, 12, 31))
    with pytest.raises(RuleRefused, match="no report for 2019 to correct"):
        position.report(year=2019, spent=1, correction=True, received=date(2019, 12, 31))
    position.report(year=2019, spent=700_000, received=date(2019, 12, 31))
    with pytest.raises(RuleRefused, match="already reported"):
        position.report(year=2019, spent=1, received=date(2019, 12, 31))
    assert position.reports[2019][0].to_reclaim == 0  # overspending reclaims nothing


def test_amount_based_schemes_step_down_and_allow_a_pre_project_year_for_765_60():
    position = new_position(scheme="765.60-adults", year=2021)
    position.grant(year=2021, amount=200_000, pre_project=True, decided=date(2021, 3, 1))
    position.advance(year=2022, amount=900_000, decided=date(2022, 3, 1))  # year 1 after the pre-project year is not capped
    with pytest.raises(RuleRefused, match="step-down"):
        position.advance(year=2023, amount=900_001, decided=date(2023, 3, 1))
    for year in (2023, 2024, 2025):
        position.advance(year=year, amount=800_000, decided=date(year, 3, 1))
    assert position.ladder_year == 4
    with pytest.raises(RuleRefused, match="expired"):
        position.advance(year=2026, amount=1, decided=date(2026, 3, 1))


def test_the_new_765_62_scheme_has_no_pre_project_year_and_needs_an_amount():
    position = new_position(scheme="765.62-new", year=2023)
    with pytest.raises(RuleRefused, match="no pre-project"):
        position.grant(year=2023, amount=1, pre_project=True, decided=date(2023, 3, 1))
    with pytest.raises(InvalidInput, match="amount is required"):  # a missing value: exit 2
        position.grant(year=2023, decided=date(2023, 3, 1))
    position.grant(year=2023, amount=500_000, decided=date(2023, 3, 1))
    position.reduce_fte(fte=Decimal("0.5"), effective=date(2023, 7, 1))
    assert position.years[2023].amount == 375_000
    with pytest.raises(RuleRefused, match="exceeds the previous year's 250 000"):
        position.advance(year=2024, amount=250_001, decided=date(2024, 3, 1))


def test_a_refused_command_records_no_event():
    position = new_position()
    before = len(position._pending_events)
    with pytest.raises(RuleRefused):
        position.advance(year=2022, decided=date(2022, 3, 1))
    assert len(position._pending_events) == before
