"""The batch import records exactly what the same commands record one at a time: the same events,
byte for byte (topic and stored state), and the same chain hashes, on SQLite and PostgreSQL.

The import path is the fast one (bulk validation, one pass of hashing, rows written together), so
this pins that speed changed nothing stored. Recorded times are fixed (the library's clock), so the
stored bytes are reproducible; the digest below was taken from the per-command path.
"""

import hashlib
import json
from datetime import date

from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.ledger.batch import import_file, parse_file
from grants.ledger.verify import verify_ledger
from tests.conftest import _postgres_schema_url, created

TODAY = date(2024, 5, 2)
# Events' topics, states and per-position hashes of FILE_LINES (sha256 over them, in id order), as the
# one-command-at-a-time code wrote them before the import was made fast: the fast path must not change a byte.
PINNED = "dfe21bb67ef38f2f4f61ebfbc737b764940eece2764ce08f73984adf9de57186"
FILE_LINES = [
    {"command": "apply", "ref": "2021/1-1", "kommune": "3401", "scheme": "765.62", "title": "Ruskonsulent",
     "fte": "1", "year": 2021, "received": "2021-02-01", "partners": "NAV; Politiet", "wage_cost": "700000"},
    {"command": "apply", "ref": "2021/2-1", "kommune": "Hamar", "scheme": "765.62", "title": "Miljøterapeut",
     "fte": "0.5", "year": 2021, "received": "2021-02-03", "focus": "Ungdom"},
    {"command": "apply", "ref": "2022/3-1", "kommune": "0301", "scheme": "765.62-new", "title": "Prosjektleder",
     "fte": "0.8", "year": 2022, "permanence_plan": "Fast stilling fra 2026", "other_costs": "50000"},
    {"command": "apply", "ref": "2021/4-1", "kommune": "4601", "scheme": "765.62", "title": "Avvist", "fte": "1",
     "year": 2021, "received": "2021-02-04"},
    {"command": "grant", "ref": "2021/1-1", "year": 2021, "decided": "2021-03-01"},
    {"command": "grant", "ref": "2021/2-1", "year": 2021},
    {"command": "grant", "ref": "2022/3-1", "year": 2022, "amount": "400000", "over_frame": "true",
     "reason": "prioritert"},
    {"command": "reject", "ref": "2021/4-1", "reason": "utenfor ordningen", "decided": "2021-03-02"},
    {"command": "advance", "ref": "2021/1-1", "year": 2022},
    {"command": "reduce-fte", "ref": "2021/1-1", "fte": "0.6", "effective": "2022-07-01", "reason": "vakanse"},
    {"command": "report", "ref": "2021/1-1", "year": 2021, "spent": "600000", "received": "2022-02-10",
     "self_financing": "120000"},
    {"command": "report", "ref": "2021/1-1", "year": 2021, "spent": "650000", "correction": "yes",
     "reason": "rettet regnskap"},
    {"command": "report", "ref": "2022/3-1", "year": 2022, "spent": "300000", "attested": "auditor",
     "fte_filled": "0.8", "received": "2023-02-01"},
    {"command": "carry-over", "ref": "2022/3-1", "from-year": 2022, "amount": "50000", "reason": "innvilget",
     "decided": "2023-03-01"},
    {"command": "advance", "ref": "2021/2-1", "year": 2022, "decided": "2022-01-15"},
    {"command": "terminate", "ref": "2021/2-1", "cause": "withdrawn", "reason": "trukket",
     "effective": "2022-06-30"},
]


def stored(ledger) -> dict[tuple[str, int], tuple]:
    """(originator id, version) -> (topic, state, event hash, position hash), for every event."""
    chain = {(row[1], row[2]): (row[3], row[4]) for row in ledger.recorder.select_chain(None, 10_000)}
    events = ledger.recorder.select_notifications(start=0, limit=10_000)
    return {(e.originator_id.hex, e.originator_version):
            (e.topic, bytes(e.state).decode(), *chain[(e.originator_id.hex, e.originator_version)])
            for e in events}


def digest(found: dict) -> str:
    return hashlib.sha256(json.dumps(sorted(found.items())).encode()).hexdigest()


def second_ledger_like(db_url: str, tmp_path) -> tuple[str, object]:
    if db_url.startswith("sqlite"):
        return created(f"sqlite:///{tmp_path / 'one-by-one.sqlite'}"), lambda: None
    url, drop = _postgres_schema_url()
    return created(url), drop


def test_an_import_stores_the_same_events_and_hashes_as_the_commands_one_at_a_time(db_url, tmp_path,
                                                                                     recorded_clock):
    recorded_clock("2024-05-02T08:00:00+00:00")
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in FILE_LINES), encoding="utf-8")
    with_frame = c.parse(c.SetFrame, office="innlandet", scheme="765.62", year=2021, amount="2000000")

    imported = GrantsLedger(db_url, today=lambda: TODAY)
    imported.set_frame(with_frame)
    outcome = import_file(imported, path)
    assert (outcome.problems, outcome.written) == ([], 18)

    url, drop = second_ledger_like(db_url, tmp_path)
    one_by_one = GrantsLedger(url, today=lambda: TODAY)
    one_by_one.set_frame(with_frame)
    for _, command in parse_file(path).commands:
        one_by_one.execute(command)

    found = stored(imported)
    assert found == stored(one_by_one)
    assert len(found) == 19  # 16 lines, the frame and its 2 commitments
    assert digest(found) == PINNED
    for ledger in (imported, one_by_one):  # and each chain verifies from the events alone
        report = verify_ledger(ledger)
        assert (report.problem, report.count) == (None, 19)
    imported.close(), one_by_one.close()
    drop()
