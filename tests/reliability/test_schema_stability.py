"""Events written by every version must keep decoding to the same facts (upcast when an event changes)."""

import json

import pytest
from eventsourcing.persistence import StoredEvent

from grants.cli.output import plain
from grants.ledger.application import GrantsLedger
from tests.reliability.event_samples import SAMPLES, SAMPLES_V2

SAMPLE_LINES = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
V2_LINES = [json.loads(line) for line in SAMPLES_V2.read_text(encoding="utf-8").splitlines()]
V1_TYPES = {
    "domain.position:GrantPosition.Applied", "domain.position:GrantPosition.Granted",
    "domain.position:GrantPosition.YearAdvanced", "domain.position:GrantPosition.FteReduced",
    "domain.position:GrantPosition.Reported", "domain.position:GrantPosition.Rejected",
    "domain.position:GrantPosition.Terminated", "domain.frame:BudgetFrame.FrameSet",
    "domain.frame:BudgetFrame.FrameRevised", "domain.frame:BudgetFrame.Committed",
    "domain.users:LedgerSettings.Initialized", "domain.users:User.Added", "domain.users:User.RoleChanged",
}
EVERY_TYPE = V1_TYPES | {
    "domain.position:GrantPosition.CarriedOver", "domain.position:GrantPosition.KommuneChanged",
    "domain.appropriation:Appropriation.AppropriationSet", "domain.appropriation:Appropriation.AppropriationRevised",
}


def test_the_stored_samples_cover_every_event_type():
    assert {line["topic"] for line in SAMPLE_LINES} == V1_TYPES
    assert {line["topic"] for line in V2_LINES} == EVERY_TYPE


@pytest.mark.parametrize("sample", SAMPLE_LINES + V2_LINES,
                         ids=[f"v1-{i}-{s['topic'].split('.')[-1]}" for i, s in enumerate(SAMPLE_LINES)]
                         + [f"v2-{i}-{s['topic'].split('.')[-1]}" for i, s in enumerate(V2_LINES)])
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
    # version-1 events have none of the version-2 fields: their defaults keep the old figures
    assert (position.years[2021].rule_amount, position.money(2021).entitlement, position.money(2021).to_reclaim) == (
        None, 495000, 95000)
    ledger.close()


def test_the_version_2_samples_replay_into_a_carried_over_position_in_its_new_kommune(sqlite_url):
    ledger = GrantsLedger(sqlite_url)
    position = None
    start = next(i for i, s in enumerate(V2_LINES) if s["expected"].get("ref") == "S/3")
    for sample in (s for s in V2_LINES[start:] if s["topic"].startswith("domain.position")):
        position = ledger.mapper.to_domain_event(StoredEvent(
            originator_id=__import__("uuid").UUID(int=9), originator_version=sample["expected"]["originator_version"],
            topic=sample["topic"], state=sample["state"].encode())).mutate(position)
        if sample["topic"].endswith("CarriedOver"):
            break
    # 330 000 in 2024; 0.8 filled: 330 000 x 0.8 = 264 000 entitled, 200 000 spent, 130 000 unspent, 50 000 carried
    assert (position.ref, position.kommunenummer, position.years[2021].rule_amount) == ("S/3", "3101", 660000)
    assert (position.money(2024).entitlement, position.money(2024).to_reclaim, position.carried_in) == (
        264000, 80000, {2025: 50000})
    ledger.close()
