import pytest

from grants.domain import kommuner
from grants.domain.errors import InvalidInput


def test_all_357_kommuner_of_2024_are_known_with_their_office():
    current = kommuner.all_current()
    assert len(current) == 357
    assert {k.office for k in current} == set(kommuner.OFFICE_NAMES)


def test_the_office_is_derived_from_the_kommune():
    assert kommuner.lookup("3401", 2021).office == "innlandet"
    assert kommuner.lookup("0301", 2024).office == "ostfold-buskerud-oslo-akershus"


def test_a_code_retired_in_2024_is_valid_before_2024_only():
    assert kommuner.lookup("3001", 2023).name == "Halden"
    with pytest.raises(InvalidInput, match="replaced by '3101'"):
        kommuner.lookup("3001", 2024)


def test_a_code_new_in_2024_is_not_valid_before_2024():
    assert kommuner.lookup("3101", 2024).name == "Halden"
    with pytest.raises(InvalidInput, match="valid from 2024"):
        kommuner.lookup("3101", 2023)


def test_the_alesund_split_keeps_haram_and_alesund_in_more_og_romsdal():
    assert kommuner.lookup("1507", 2022).office == "more-og-romsdal"
    assert kommuner.lookup("1580", 2024).name == "Haram"


def test_an_unknown_code_is_refused_with_the_value():
    with pytest.raises(InvalidInput, match="unknown kommunenummer '9999'$"):
        kommuner.lookup("9999", 2021)


def test_a_code_from_before_the_2020_reform_is_refused_with_what_to_give_instead():
    with pytest.raises(InvalidInput) as refused:
        kommuner.lookup("0402", 2019)  # Kongsvinger until 2019, 3401 since
    assert str(refused.value) == ("kommune: unknown kommunenummer '0402'; numbers from before the 2020 reform are "
                                  "not in the data: give the number from 2020 or the kommune's name")
    assert kommuner.lookup("Kongsvinger", 2019).number == "3401"


def test_a_2024_kommune_is_found_under_the_code_it_had_before():
    assert kommuner.code_in("3101", 2021) == "3001"
    assert kommuner.code_in("3101", 2024) == "3101"
    assert kommuner.code_in("3401", 2019) == "3401"
