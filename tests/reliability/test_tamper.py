"""`grants verify` catches every way of altering the stored log, at its start, middle and end,
on SQLite and PostgreSQL; a rewrite of the whole chain is caught through a recorded digest."""

import json

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from tests.reliability.tamper import Tamper

WHERE = ["start", "middle", "end"]


def grants(url, *args):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"GRANTS_ACTOR": "auditor"})


@pytest.fixture
def recorded(db_url):
    """A ledger of 8 positions (about 35 events) and the digest an auditor wrote down."""
    ledger = GrantsLedger(db_url)
    for n in range(8):
        ref = f"T/{n}"
        ledger.execute(c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title=f"t{n}", fte="1", year="2019"))
        ledger.execute(c.parse(c.Grant, ref=ref, year=2019))
        ledger.execute(c.parse(c.Advance, ref=ref, year=2020))
        if n % 2:
            ledger.execute(c.parse(c.Report, ref=ref, year=2019, spent="600000"))
    ledger.close()
    result = grants(db_url, "verify", "--format", "json")
    assert result.exit_code == 0, result.output
    digest = json.loads(result.stdout)["digest"]
    tamper = Tamper(db_url)
    yield db_url, digest, tamper
    tamper.close()


def pick(rows, where, want=lambda row: True):
    candidates = [r for r in rows if want(r)]
    return {"start": candidates[0], "middle": candidates[len(candidates) // 2], "end": candidates[-1]}[where]


def assert_caught(url, words):
    result = grants(url, "verify")
    assert result.exit_code == 7, result.output
    line = result.stderr.strip()
    assert line.startswith("Error: event ") and "\n" not in line
    assert any(word in line for word in words), line
    return line


@pytest.mark.parametrize("where", WHERE)
def test_a_changed_payload_field_is_caught(recorded, where):
    url, _, tamper = recorded
    nid, *_, state = pick(tamper.rows(), where)
    payload = json.loads(bytes(state))
    payload["actor"] = "mallory"
    tamper.set_state(nid, json.dumps(payload, separators=(",", ":")).encode())
    assert f"event {nid} " in assert_caught(url, ["altered"])


@pytest.mark.parametrize("where", WHERE)
def test_a_changed_amount_is_caught(recorded, where):
    url, _, tamper = recorded
    nid, *_, state = pick(tamper.rows(), where, lambda r: b'"amount"' in bytes(r[4]))
    tamper.set_state(nid, bytes(state).replace(b'"amount":', b'"amount":1'))
    assert f"event {nid} " in assert_caught(url, ["altered"])


@pytest.mark.parametrize("where", WHERE)
def test_a_deleted_event_is_caught(recorded, where):
    url, _, tamper = recorded
    nid = pick(tamper.rows(), where)[0]
    tamper.delete(nid)
    assert f"event {nid} " in assert_caught(url, ["deleted"])


@pytest.mark.parametrize("where", WHERE)
def test_two_swapped_events_are_caught(recorded, where):
    url, _, tamper = recorded
    rows = tamper.rows()
    first = pick(rows[:-1], where)[0]
    tamper.swap(first, first + 1)
    assert_caught(url, ["reordered", "swapped"])


@pytest.mark.parametrize("where", WHERE)
def test_a_forged_event_is_caught(recorded, where):
    url, _, tamper = recorded
    nid, oid, version, topic, state = pick(tamper.rows(), where, lambda r: r[3].endswith("Reported"))
    last_version = max(r[2] for r in tamper.rows() if r[1] == oid)
    tamper.insert(oid, last_version + 1, topic, state)
    assert_caught(url, ["inserted"])


@pytest.mark.parametrize("where", WHERE)
def test_a_rewritten_chain_passes_alone_but_not_against_the_recorded_digest(recorded, where):
    url, digest, tamper = recorded
    nid, *_, state = pick(tamper.rows(), where, lambda r: b'"amount"' in bytes(r[4]))
    tamper.set_state(nid, bytes(state).replace(b'"amount":', b'"amount":9'))
    tamper.rewrite_chain()
    assert grants(url, "verify").exit_code == 0  # a consistent forgery...
    result = grants(url, "verify", "--digest", digest)
    assert result.exit_code == 7  # ...is caught against what the auditor wrote down
    assert "digest mismatch" in result.stderr and "rewritten" in result.stderr


def test_deleting_the_last_events_and_their_chain_rows_is_caught_by_the_digest(recorded):
    url, digest, tamper = recorded
    last = tamper.rows()[-1][0]
    tamper.delete(last)
    tamper.sql("DELETE FROM grants_chain WHERE notification_id=?", (last,))
    assert grants(url, "verify").exit_code == 0
    result = grants(url, "verify", "--digest", digest)
    assert result.exit_code == 7 and "were deleted" in result.stderr


def test_a_damaged_row_is_reported_not_crashed_on(recorded):
    url, _, tamper = recorded
    nid = tamper.rows()[3][0]
    tamper.set_state(nid, b"\xff\x00 not json")
    assert_caught(url, ["altered"])


def test_an_intact_ledger_verifies_and_matches_its_digest(recorded):
    url, digest, _ = recorded
    result = grants(url, "verify", "--digest", digest)
    assert result.exit_code == 0 and f"ledger digest {digest}" in result.stdout and "matches" in result.stdout


def test_an_export_verifies_away_from_the_database_and_a_tampered_copy_does_not(recorded, tmp_path):
    url, digest, _ = recorded
    path = tmp_path / "all.jsonl"
    assert grants(url, "export", "--all", "--output", str(path)).exit_code == 0
    result = grants(url, "verify", "--file", str(path), "--digest", digest)
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    record = json.loads(lines[5])
    record["originator_version"] = 7
    lines[5] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")
    assert grants(url, "verify", "--file", str(path)).exit_code == 7
