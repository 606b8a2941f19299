"""The stored events' JSON, byte for byte as eventsourcing's JSONTranscoder writes and reads it,
done by orjson (C) instead of the json module with a Python callback per dict.

Encoding and decoding are most of the cost of writing and reading events (docs/performance.md:
~20 µs and ~24 µs an event with the library's transcoder). The library's format stays the one
definition: compact separators, UTF-8 text, and {"_type_": name, "_data_": value} for each
registered type (Decimal, date, datetime, UUID). orjson writes exactly that for the values the
ledger's events hold (str, int, bool, None, lists, dicts with str keys and the registered types);
anything else (a float, an int beyond 64 bits, a UUID, which orjson would write in its own way)
goes through the library's transcoder, so a stored event's bytes never depend on which path
wrote it. tests/unit/test_transcoder.py holds both paths to the same bytes and values."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

# Values orjson writes as the json module does (registered types go through `_encode_obj`).
_PLAIN = frozenset({str, int, bool, type(None)})
_SAME = _PLAIN | {Decimal, date, datetime}
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


class NotPlain(Exception):
    """A value the fast path does not write or read exactly as the library does."""


def _check(value: Any) -> None:
    kind = type(value)
    if kind in _SAME:
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlain
            _check(item)
    elif kind is list or kind is tuple:
        for item in value:
            _check(item)
    else:  # float (its repr differs), UUID (orjson writes it natively), anything unknown
        raise NotPlain


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, encoding and decoding through orjson where that gives the
    same bytes and the same values, and through the library everywhere else."""

    def encode(self, obj: Any) -> bytes:
        try:
            written = obj
            for key, value in obj.items():  # the event's fields: checked before orjson writes them
                kind = type(value)
                if kind in _PLAIN:
                    continue
                transcoding = self.types.get(kind)
                if transcoding is None:
                    _check(value)  # a list or dict: orjson calls `_encode_obj` for what it holds
                    continue
                # A registered type at the top (three or four in every event) is written here, as
                # `_encode_obj` writes it, rather than by orjson calling back into Python for it.
                if written is obj:
                    written = dict(obj)
                written[key] = {"_type_": transcoding.name, "_data_": transcoding.encode(value)}
            # orjson's bytes keep the whole buffer it wrote into (4 KB for a 300-byte event,
            # orjson 3.13): a copy of the exact length is what the stored event keeps, since a
            # batch import holds every event of the file until its one transaction (~0.3 µs).
            return memoryview(orjson.dumps(written, default=self._encode_obj, option=_OPTIONS)).tobytes()
        except (NotPlain, AttributeError, orjson.JSONEncodeError):
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (NotPlain, orjson.JSONDecodeError):  # a float (or an int orjson reads as one), NaN, ...
            return super().decode(data)

    def _revive(self, obj: Any) -> Any:
        """The library's object hook, applied bottom-up to every dict as json.loads does; a
        registered value ({"_type_": name, "_data_": text}, three or four in every event) is
        decoded in place without the general walk."""
        kind = type(obj)
        if kind is dict:
            for key, value in obj.items():
                inner = type(value)
                if inner is dict:
                    if len(value) == 2 and type(value.get("_data_")) is str and type(value.get("_type_")) is str:
                        transcoding = self.names.get(value["_type_"])
                        if transcoding is not None:
                            obj[key] = transcoding.decode(value["_data_"])
                            continue
                    obj[key] = self._revive(value)
                elif inner is list:
                    obj[key] = self._revive(value)
                elif inner is float:
                    raise NotPlain
            return self._decode_obj(obj) if len(obj) == 2 else obj
        if kind is list:
            return [self._revive(item) for item in obj]
        if kind is float:
            raise NotPlain
        return obj
