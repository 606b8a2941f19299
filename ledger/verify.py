"""Recompute the hash chain from the events alone and name the first event that does not fit.

Works on any source of (notification id, stored event) and chain rows, so the same checks serve
the database (`grants verify`) and an exported copy (`grants verify --file`). A damaged row is
reported, never a crash.
"""

import json
from collections import deque
from dataclasses import dataclass, field
from uuid import UUID

from grants.ledger.chain import GENESIS, event_hash, sha


@dataclass
class Report:
    count: int = 0
    head: str = GENESIS
    problem: str | None = None
    digest_checked: bool = False
    refs: dict = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return f"{self.count}:{self.head}"


@dataclass(frozen=True)
class Row:
    """One event as stored, with its chain row (either may be missing)."""

    notification_id: int
    event: tuple | None  # (originator_id, version, topic, state)
    chain: tuple | None  # (originator_id, version, event_hash, position_hash, log_hash)


def parse_digest(raw: str) -> tuple[int, str]:
    count, _, head = raw.partition(":")
    if not count.isdigit() or len(head) != 64 or any(ch not in "0123456789abcdef" for ch in head):
        from grants.domain.errors import InvalidInput

        raise InvalidInput(f"digest: must be N:HASH as printed by grants verify, got {raw!r}")
    return int(count), head


def verify(rows, digest: tuple[int, str] | None = None, check_log: bool = True) -> Report:
    """Walk rows in notification order; stop at the first problem."""
    report = Report()
    positions: dict[str, tuple[int, str]] = {}
    for row in rows:
        report.problem = _check(row, report, positions, check_log)
        if report.problem:
            return report
        if digest and report.count == digest[0]:
            report.digest_checked = True
            if report.head != digest[1]:
                report.problem = (f"digest mismatch: the first {digest[0]} events hash to {report.head}, "
                                  f"not the recorded {digest[1]}: the chain was rewritten")
                return report
    if digest and not report.digest_checked:
        report.problem = (f"digest covers {digest[0]} events but the ledger has only {report.count}: "
                          "events were deleted")
    return report


def _name(row: Row, report: Report) -> str:
    oid, version = (row.event or row.chain)[0], (row.event or row.chain)[1]
    key = _oid(oid)
    ref = report.refs.get(key)
    return f"event {row.notification_id} ({'ref ' + repr(ref) if ref else 'position ' + key} version {version})"


def _oid(raw) -> str:
    try:
        return raw.hex if isinstance(raw, UUID) else UUID(str(raw)).hex
    except (ValueError, AttributeError):
        return repr(raw)


def _check(row: Row, report: Report, positions, check_log) -> str | None:
    if row.event is None:
        return f"{_name(row, report)} is missing: deleted from the log"
    if row.chain is None:
        return f"{_name(row, report)} has no chain row: inserted outside the ledger"
    oid, version, topic, state = row.event
    try:
        e_hash = event_hash(oid, int(version), str(topic), bytes(state))
    except (TypeError, ValueError) as error:
        return f"{_name(row, report)} is damaged and cannot be hashed ({error})"
    key = _oid(oid)
    if version == 1:
        try:
            report.refs[key] = json.loads(bytes(state)).get("ref")
        except (ValueError, AttributeError):
            pass
    if (_oid(row.chain[0]), int(row.chain[1])) != (key, int(version)):
        return f"{_name(row, report)} stands where the chain recorded another event: reordered or swapped"
    if e_hash != row.chain[2]:
        return f"{_name(row, report)} was altered: its content does not match its recorded hash"
    last_version, last_hash = positions.get(key, (0, GENESIS))
    if int(version) != last_version + 1:
        return (f"{_name(row, report)} follows version {last_version} of its position: "
                "an event was deleted or reordered")
    position_hash = sha(last_hash, e_hash)
    if position_hash != row.chain[3]:
        return f"{_name(row, report)} breaks its position's chain: an earlier event was altered"
    positions[key] = (int(version), position_hash)
    log_hash = sha(report.head, row.notification_id, e_hash)
    if check_log and log_hash != row.chain[4]:
        return f"{_name(row, report)} breaks the log chain: an earlier event was deleted, inserted or altered"
    report.head = log_hash if check_log else row.chain[4]
    report.count += 1
    return None


def ledger_rows(ledger, page: int = 1000):
    """Merge the events and the chain by notification id, page by page (memory stays flat)."""
    recorder = ledger.recorder
    after_event = after_chain = 0
    events, chain = deque(), deque()
    while True:
        if not events:
            events.extend((n.id, (n.originator_id, n.originator_version, n.topic, n.state)) for n in
                          recorder.select_notifications(start=after_event, limit=page, inclusive_of_start=False))
            if events:
                after_event = events[-1][0]
        if not chain:
            chain.extend((r[0], r[1:]) for r in recorder.select_chain(after_chain, page))
            if chain:
                after_chain = chain[-1][0]
        if not events and not chain:
            return
        next_id = min(x[0][0] for x in (events, chain) if x)
        event = events.popleft()[1] if events and events[0][0] == next_id else None
        link = chain.popleft()[1] if chain and chain[0][0] == next_id else None
        yield Row(next_id, event, link)
