"""A command's fields are checked on two paths: `parse` (one decision on the command line, which
imports no pydantic) and pydantic over all the lines of a batch import (ledger/batch.py). Both run
each field's one Kind, so they must agree on every line: what one accepts the other accepts, as
the same value, and what one refuses the other refuses."""

from dataclasses import asdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from grants.domain.commands import COMMANDS, AddUser, SetAppropriation, SetFrame, fields_of, parse
from grants.domain.errors import InvalidInput

# Raw values as files and users give them, good and bad, by the field's metavar.
SAMPLES = {
    "REF": ["2021/4711-3", "A/1", "", "has space", 17, None],
    "KOMMUNE": ["3401", "301", "Hamar", "12345", "", 3401, True, None],
    "SCHEME": ["765.62", "765.60-youth", "765.62-new", "999", "", None],
    "TEXT": ["Ruskonsulent", "  padded  ", "", "a\x1fb", "x" * 201, 5, None, ["a", "b;c"], ("a",) * 21,
             ("Politi", "NAV")],
    "FTE": ["1", "0.5", "0,5", "50%", "3.5", "0", "2", "-1", "abc", 1, None],
    "YEAR": ["2021", 2022, "1999", "20x1", " 2024 ", True, None],
    "YYYY-MM-DD": ["2021-03-01", "2021-3-1", "01.03.2021", "", 20210301, None],
    "NOK": ["660000", "660 000", "0", "-5", "1.5", 660_000, True, None],
    "N": ["1", "9", "0", "10", "x", 3, " 4 ", True, None],
    "": [True, False, "true", "ja", "SANN", "nei", "maybe", 1, None],
    "CAUSE": ["wound-down", "WOUND-DOWN", "bogus", None],
    "WHO": ["self", "auditor", "revisor", None],
    "OFFICE": ["innlandet", "Innlandet", "", "x" * 61, None],
    "NAME": ["kari", "", None],
    "ROLE": ["caseworker", "Admin", "boss", None],
}
FORMS = [*COMMANDS.values(), SetFrame, SetAppropriation, AddUser]


def lines(model):
    """A line of the form: its required fields (now and then one left out) and any of the others,
    each with a sample value of its kind."""
    samples = {spec.name: st.sampled_from(SAMPLES[spec.kind.metavar]) for spec in fields_of(model)}
    required = {spec.name for spec in fields_of(model) if spec.required}
    line = st.fixed_dictionaries({name: samples[name] for name in required},
                                 optional={name: value for name, value in samples.items() if name not in required})
    return st.one_of(line, st.fixed_dictionaries({}, optional=samples))


def outcome_of_parse(model, values):
    try:
        return asdict(parse(model, **values))
    except InvalidInput:
        return "refused"


def outcome_in_bulk(model, values):
    try:
        return asdict(TypeAdapter(list[model]).validate_python([values])[0])
    except ValidationError:
        return "refused"


@pytest.mark.parametrize("model", FORMS, ids=lambda model: model.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_parse_and_the_bulk_adapter_agree_on_every_line(model, data):
    values = data.draw(lines(model))
    assert outcome_in_bulk(model, dict(values)) == outcome_of_parse(model, dict(values))


def test_the_bulk_adapter_refuses_a_field_the_form_does_not_have():
    good = {"ref": "2021/1", "year": "2021"}
    assert outcome_in_bulk(COMMANDS["grant"], good)["year"] == 2021
    assert outcome_in_bulk(COMMANDS["grant"], {**good, "colour": "red"}) == "refused"
    with pytest.raises(InvalidInput, match="^colour: unknown field$"):
        parse(COMMANDS["grant"], **good, colour="red")


def test_an_application_s_fte_is_held_to_its_scheme_on_both_paths():
    line = {"ref": "2021/1", "kommune": "3401", "title": "t", "year": "2021", "fte": "3.5"}
    assert outcome_in_bulk(COMMANDS["apply"], {**line, "scheme": "765.60-adults"})["fte"] == Decimal("3.5")
    assert outcome_in_bulk(COMMANDS["apply"], {**line, "scheme": "765.62"}) == "refused"
    with pytest.raises(InvalidInput, match=r"^fte: must be more than 0 and at most 1, got '3.5'"):
        parse(COMMANDS["apply"], **line, scheme="765.62")


@pytest.mark.parametrize(("raw", "value"), [(0, False), (1, True), (0.0, False), (1.0, True), ("1", True),
                                            ("SANN", True), ("nei", False), (True, True)])
def test_a_flag_is_read_from_json_numbers_words_and_booleans_on_both_paths(raw, value):
    line = {"ref": "2021/1", "year": "2021", "over_frame": raw}
    assert outcome_in_bulk(COMMANDS["grant"], line)["over_frame"] is value
    assert parse(COMMANDS["grant"], **line).over_frame is value


def test_a_ladder_year_is_a_whole_number_written_as_a_spreadsheet_or_json_writes_it():
    grant = COMMANDS["grant"]
    assert [parse(grant, ref="2021/1", year="2021", ladder_year=raw).ladder_year for raw in ("3", " 3 ", "3.0", 3.0)] \
        == [3, 3, 3, 3]
    with pytest.raises(InvalidInput, match=r"^ladder_year: must be a whole number, got True$"):
        parse(grant, ref="2021/1", year="2021", ladder_year=True)


def test_every_bad_partner_is_named_with_its_own_value():
    apply = COMMANDS["apply"]
    line = {"ref": "2021/1", "kommune": "3401", "scheme": "765.62", "title": "t", "fte": "1", "year": "2021"}
    with pytest.raises(InvalidInput) as refused:
        parse(apply, **line, partners=("a;b", "NAV", "c\x01", ""))
    assert str(refused.value) == ("partners: must not contain ';' (it separates partners in a file), got 'a;b'; "
                                  "partners: must not contain control characters, got 'c\\x01'; "
                                  "partners: must not be empty, got ''")
    with pytest.raises(InvalidInput, match=r"^partners: must have at most 20 items, got \("):
        parse(apply, **line, partners=tuple(f"p{i}" for i in range(21)))


def test_a_user_given_an_empty_office_has_none():
    assert parse(AddUser, name="per", role="admin", office=" ").office is None
    assert parse(AddUser, name="per", role="caseworker", office=" innlandet ").office == "innlandet"


def test_a_check_of_earlier_fields_sees_their_defaults_on_both_paths():
    from dataclasses import dataclass
    from typing import Annotated

    from grants.domain.commands import Form, Kind, arg

    seen = []

    @dataclass(frozen=True, kw_only=True)
    class Probe(Form):
        first: Annotated[str, Kind(str, "TEXT")] = arg(about="a", default="its default")
        second: Annotated[str, Kind(lambda raw, earlier: seen.append(dict(earlier)) or raw, "TEXT",
                                    uses_earlier=True)] = arg(about="b")

    parse(Probe, second="x")
    TypeAdapter(list[Probe]).validate_python([{"second": "x"}])
    assert seen == [{"first": "its default"}, {"first": "its default"}]


def test_a_decision_whose_dates_are_given_does_not_ask_the_clock():
    def no_clock():
        raise AssertionError("the clock was asked")

    grant = parse(COMMANDS["grant"], ref="2021/1", year="2021", decided="2021-03-01")
    assert grant.with_dates(None, no_clock) is grant
    with pytest.raises(AssertionError, match="the clock was asked"):
        parse(COMMANDS["grant"], ref="2021/1", year="2021").with_dates(None, no_clock)
