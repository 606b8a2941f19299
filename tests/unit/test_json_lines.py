"""A JSON Lines record reads as json.loads reads it, whichever parser reads it (ledger/batch.py)."""

import json

import pytest

from grants.domain import commands as c
from grants.ledger.batch import _json_line, _normalise


@pytest.mark.parametrize("line", [
    '{"command": "report", "ref": "A/1", "year": 2021, "spent": "700000"}',
    '{"command": "report", "ref": "A/1", "spent": 123456789012345678901234567890}',  # beyond 64 bits
    '{"command": "apply", "fte": 0.5, "partners": ["NAV", "Politiet"], "x": {"y": 1e400}}',
    '{"ref": "\\ud800", "title": "Miljøterapeut\\n"}',  # a lone surrogate: json reads it, orjson refuses
])
def test_a_record_is_what_json_reads(line):
    assert repr(_json_line(line)) == repr(json.loads(line))


def test_a_bad_line_has_jsons_message():
    with pytest.raises(json.JSONDecodeError) as error:
        _json_line('{"command": "report",}')
    assert error.value.msg == "Expecting property name enclosed in double quotes"


def test_columns_as_written_as_options_or_padded_name_the_same_fields():
    line = {"command": "report", "ref": "A/1", "year": 2021, " --spent ": "700000", "fte_filled": "0.5",
            "received": "  ", "correction": "yes"}
    assert _normalise(c.Report, line) == {"ref": "A/1", "year": 2021, "spent": "700000", "fte_filled": "0.5",
                                          "correction": "yes"}
    assert c.parse(c.Report, **_normalise(c.Report, line)).correction is True  # the flag's words: its check


def test_a_field_given_twice_names_the_column_that_gave_it_first():
    line = {"command": "apply", "ref": "K/1", "wage_cost": None, "--wage-cost": "2", "wage-cost": "3"}
    with pytest.raises(ValueError, match=r"^wage-cost: the same field as column '--wage-cost'; give one of them$"):
        _normalise(c.Apply, line)
