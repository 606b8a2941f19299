"""Events written by version 1 must keep decoding to the same facts (upcast when an event changes)."""

import json

import pytest

from grants.cli.output import plain
from eventsourcing.persistence import StoredEvent
from grants.ledger.application import GrantsLedger
from tests.reliability.event_samples import SAMPLES

SAMPLE_LINES = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
EVERY_TYPE = {
    "domain.position:GrantPosition.Applied", "domain.position:GrantPosition.Granted",
    "domain.position:GrantPosition.YearAdvanced", "domain.position:GrantPosition.FteReduced",
    "domain.position:GrantPosition.Reported", "domain.position:GrantPosition.Rejected",
    "domain.position:GrantPosition.Terminated", "domain.frame:BudgetFrame.FrameSet",
    "domain.frame:BudgetFrame.FrameRevised", "domain.frame:BudgetFrame.Committed",
    "domain.users:LedgerSettings.Initialized", "domain.users:User.Added", "domain.users:User.RoleChanged",
}


def test_the_stored_samples_cover_every_event_type():
    assert {line["topic"] for line in SAMPLE_LINES} == EVERY_TYPE


@pytest.mark.parametrize("sample", SAMPLE_LINES, ids=[f"{i}-{s['topic'].split('.')[-1]}" for i, s in enumerate(SAMPLE_LINES)])
def test_a_stored_version_1_event_still_decodes_to_the_same_facts(sample, sqlite_url):
    ledger = GrantsLedger(sqlite_url)
    stored = StoredEvent(originator_id=__import__("uuid").UUID(int=1), originator_version=sample["expected"]["originator_version"],
                         topic=sample["topic"], state=sample["state"].encode())
    event = ledger.mapper.to_domain_event(stored)
    fields = plain({k: v for k, v in event.__dict__.items() if k != "originator_id"})
    assert fields == sample["expected"]
    ledger.close()


def test_the_samples_replay_into_the_positions_they_described(sqlite_url):
    ledger = GrantsLedger(sqlite_url)
    first_position = [s for s in SAMPLE_LINES if s["topic"].startswith("domain.position")][:6]  # S/1, v1-6
    position = None
    for sample in first_position:
        position = ledger.mapper.to_domain_event(StoredEvent(
            originator_id=__import__("uuid").UUID(int=7), originator_version=sample["expected"]["originator_version"],
            topic=sample["topic"], state=sample["state"].encode())).mutate(position)
    assert (position.status, position.years[2021].amount, position.years[2022].amount) == ("terminated", 495000, 275000)
    assert position.reports[2021][0].to_reclaim == 95000
    ledger.close()
