"""The fast transcoder (orjson) writes the bytes eventsourcing's JSONTranscoder writes and reads
back the values it reads, for every kind of value; what orjson would write or read differently
(floats, ints beyond 64 bits, UUIDs, NaN, unknown types) takes the library's path."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.ledger.application import DateAsISO, GrantsLedger
from grants.ledger.transcoder import FastJSONTranscoder


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):  # the ledger's types
        transcoder.register(transcoding)
    return transcoder


LIBRARY, FAST = registered(JSONTranscoder()), registered(FastJSONTranscoder())

leaves = st.one_of(
    st.none(), st.booleans(), st.text(), st.integers(), st.integers(min_value=-2**70, max_value=2**70),
    st.decimals(allow_nan=False, places=2), st.decimals(), st.dates(), st.uuids(),
    st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(timezone(timedelta(hours=2)))),
    st.floats(allow_nan=True), st.from_regex(r"[\x00-\x1f\x7f\u2028\u2029\"\\æøå€😀]{0,8}", fullmatch=True),
)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)), max_leaves=12)
states = st.dictionaries(st.text(max_size=12), values, max_size=14)


@settings(max_examples=600, deadline=None)
@given(states)
def test_the_same_bytes_and_the_same_values_as_the_library(state):
    written = LIBRARY.encode(state)
    assert FAST.encode(state) == written
    expected = LIBRARY.decode(written)
    decoded = FAST.decode(written)
    assert repr(decoded) == repr(expected)  # repr: NaN != NaN, and 1 == 1.0 == True would hide a type


def test_an_event_state_takes_the_fast_path_and_matches_byte_for_byte(monkeypatch):
    expected = LIBRARY.encode
    state = {"timestamp": datetime(2024, 5, 2, 8, 30, 1, 123456, tzinfo=UTC), "year": 2021, "fte": Decimal("0.50"),
             "amount": 330_000, "over_frame": False, "actor": "kari", "effective": date(2021, 3, 1),
             "reason": None, "partners": ["NAV", "Politiet"], "title": "Miljøterapeut «ung»\n"}
    monkeypatch.setattr(JSONTranscoder, "encode", None)  # the library's path is not taken
    monkeypatch.setattr(JSONTranscoder, "decode", None)
    written = FAST.encode(state)
    assert written == (
        '{"timestamp":{"_type_":"datetime_iso","_data_":"2024-05-02T08:30:01.123456+00:00"},"year":2021,'
        '"fte":{"_type_":"decimal_str","_data_":"0.50"},"amount":330000,"over_frame":false,"actor":"kari",'
        '"effective":{"_type_":"date_iso","_data_":"2021-03-01"},"reason":null,"partners":["NAV","Politiet"],'
        '"title":"Miljøterapeut «ung»\\n"}').encode()
    assert FAST.decode(written) == state
    monkeypatch.undo()
    assert written == expected(state)


def test_what_orjson_would_write_differently_takes_the_librarys_path():
    big, uuid = 2**64 + 1, UUID("12345678123456781234567812345678")
    assert FAST.encode({"n": big}) == b'{"n":18446744073709551617}'  # orjson refuses ints beyond 64 bits
    assert FAST.encode({"id": uuid}) == b'{"id":{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"}}'
    assert FAST.encode({"x": 1e16}) == b'{"x":1e+16}'  # json's float repr, not orjson's "1e16"
    assert FAST.decode(b'{"n":18446744073709551617}') == {"n": big}  # orjson would read a float
    assert repr(FAST.decode(b'{"x":NaN}')) == "{'x': nan}"


def test_an_unregistered_type_is_refused_as_the_library_refuses_it():
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.encode({"when": DateAsISO()})


def test_the_ledger_writes_and_reads_through_the_fast_transcoder(tmp_path):
    ledger = GrantsLedger.create(f"sqlite:///{tmp_path / 'l.sqlite'}")
    assert isinstance(ledger.mapper.transcoder, FastJSONTranscoder)
