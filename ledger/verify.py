"""Recompute the hash chain from the events alone and name the first event that does not fit.

Works on any source of (notification id, stored event) and chain rows, so the same checks serve
the database (`grants verify`) and an exported copy (`grants verify --file`). A damaged row is
reported, never a crash.

Every stored row is covered: the walk starts at the lowest id there is, not at 1, because loading
an aggregate reads all of its events whatever their id; an event at id 0 or below, an event
without its chain row or a chain row without its event is named.
"""

import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

from grants.domain.i18n import N_, _
from grants.ledger.chain import GENESIS, event_hash, log_link, mac_matches, position_link
from grants.ledger.progress import Progress


class Link(NamedTuple):
    """One chain row (without its notification id)."""

    originator_id: str
    version: int
    event_hash: str
    position_hash: str
    log_hash: str
    login: str | None = None
    mac: str | None = None


class Expected(NamedTuple):
    """A digest the ledger must still match: N events hashing to HEAD."""

    count: int  # type: ignore[assignment]  # the events counted, not tuple.count
    head: str
    source: str = N_("digest")  # or "checkpoint of <time>" (translated where shown)
    keyed_since: int | None = None


@dataclass
class Report:
    count: int = 0
    head: str = GENESIS
    problem: str | None = None
    digest_checked: bool = False
    refs: dict = field(default_factory=dict)
    keyed_since: int | None = None  # id of the first row sealed with a MAC
    macs_checked: bool = False  # a key was given and every MAC matched
    findings: list[str] = field(default_factory=list)  # events recorded without the authority for them
    checked: list[Expected] = field(default_factory=list)
    checkpoint: object = None  # the last checkpoint compared (ledger/checkpoints.py)
    appended: object = None  # the checkpoint appended after this verify

    @property
    def digest(self) -> str:
        return f"{self.count}:{self.head}"


@dataclass(frozen=True)
class Row:
    """One event as stored, with its chain row (either may be missing)."""

    notification_id: int
    event: tuple | None  # (originator_id, version, topic, state)
    chain: Link | None

    def __post_init__(self):
        if self.chain is not None and not isinstance(self.chain, Link):  # a plain tuple from an export
            object.__setattr__(self, "chain", Link(*self.chain))


def parse_digest(raw: str) -> tuple[int, str]:
    count, _colon, head = raw.partition(":")
    if not count.isdigit() or len(head) != 64 or any(ch not in "0123456789abcdef" for ch in head):
        from grants.domain.errors import InvalidInput

        raise InvalidInput("digest: " + _("must be N:HASH as printed by grants verify, got {given}").format(
            given=repr(raw)))
    return int(count), head


def verify(rows: Iterable[Row], digest: tuple | None = None, check_log: bool = True, *,
           expected: Sequence[Expected] = (), key: bytes | None = None, authority: Any = None) -> Report:
    """Walk rows in notification order; stop at the first broken link. `expected` digests (and
    `digest`) must match where the walk passes their count; with `key` every MAC is checked;
    `authority` (ledger/identity.py) names events recorded without the role for them."""
    report = Report()
    wanted = sorted([*expected, *([Expected(*digest[:2])] if digest else [])], key=lambda e: e.count)
    positions: dict[str, tuple[int, str]] = {}
    for row in rows:
        report.problem = (_check(row, report, positions, check_log) or _check_seal(row, report, key)
                          or _check_expected(report, wanted))
        if report.problem:
            return report
        if authority is not None:
            _note(report, authority.see(row, _payload(row)), row)
    report.problem = _after_walk(report, wanted) or _summarise(report.findings)
    report.macs_checked = key is not None and report.keyed_since is not None
    return report


def _check_expected(report: Report, wanted: list[Expected]) -> str | None:
    for exp in wanted:
        if exp.count == report.count:
            report.checked.append(exp)
            report.digest_checked = True
            if report.head != exp.head:
                return _("{source} mismatch: the first {count} events hash to {head}, not the recorded {recorded}: "
                         "the chain was rewritten").format(source=_(exp.source), count=exp.count, head=report.head,
                                                           recorded=exp.head)
    return None


def _after_walk(report: Report, wanted: list[Expected]) -> str | None:
    for exp in wanted:
        if exp.count > report.count:
            return _("{source} covers {count} events but the ledger has only {found}: events were deleted").format(
                source=_(exp.source), count=exp.count, found=report.count)
        if exp.keyed_since is not None and (report.keyed_since is None or report.keyed_since > exp.keyed_since):
            now = (_("since event {event}").format(event=report.keyed_since) if report.keyed_since
                   else _("not at all"))
            return _("{source} recorded the chain keyed since event {event}, now {now}: MACs were stripped").format(
                source=_(exp.source), event=exp.keyed_since, now=now)
    return None


def _summarise(findings: list[str]) -> str | None:
    if not findings:
        return None
    more = _(" (and {count} more)").format(count=len(findings) - 1) if len(findings) > 1 else ""
    return findings[0] + more


def _name(row: Row, report: Report) -> str:
    stored = row.event or row.chain
    assert stored is not None  # a row has its event, its chain row, or both
    oid, version = stored[0], stored[1]
    key = _oid(oid)
    ref = report.refs.get(key)
    what = _("ref {ref}").format(ref=repr(ref)) if ref else _("position {id}").format(id=key)
    return _("event {id} ({what} version {version})").format(id=row.notification_id, what=what, version=version)


def _oid(raw) -> str:
    try:
        return raw.hex if isinstance(raw, UUID) else UUID(str(raw)).hex
    except (ValueError, AttributeError):
        return repr(raw)


def _payload(row: Row) -> dict:
    assert row.event is not None
    try:
        payload = json.loads(bytes(row.event[3]))
    except (ValueError, TypeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _note(report: Report, finding: str | None, row: Row) -> None:
    if finding:
        report.findings.append(f"{_name(row, report)} {finding}")


def _check(row: Row, report: Report, positions, check_log) -> str | None:
    if row.notification_id <= 0:
        return _("{event} is stored at id {id}, below the log's first id 1: inserted by hand where only loading "
                 "the position would read it").format(event=_name(row, report), id=row.notification_id)
    if row.event is None:
        return _("{event} is missing: deleted from the log").format(event=_name(row, report))
    if row.chain is None:
        return _("{event} has no chain row: inserted outside the ledger").format(event=_name(row, report))
    oid, version, topic, state = row.event
    try:
        e_hash = event_hash(oid, int(version), str(topic), bytes(state))
    except (TypeError, ValueError) as error:
        return _("{event} is damaged and cannot be hashed ({problem})").format(event=_name(row, report),
                                                                              problem=error)
    key = _oid(oid)
    if version == 1:
        report.refs[key] = _payload(row).get("ref")
    if (_oid(row.chain.originator_id), int(row.chain.version)) != (key, int(version)):
        return _("{event} stands where the chain recorded another event: reordered or swapped").format(
            event=_name(row, report))
    if e_hash != row.chain.event_hash:
        return _("{event} was altered: its content does not match its recorded hash").format(event=_name(row, report))
    return _check_links(row, report, positions, check_log, key, e_hash)


def _check_links(row: Row, report: Report, positions, check_log, key: str, e_hash: str) -> str | None:
    assert row.event is not None and row.chain is not None  # _check names a row without them
    version = int(row.event[1])
    last_version, last_hash = positions.get(key, (0, GENESIS))
    if version != last_version + 1:
        return _("{event} follows version {version} of its position: an event was deleted or reordered").format(
            event=_name(row, report), version=last_version)
    position_hash = position_link(last_hash, e_hash)
    if position_hash != row.chain.position_hash:
        return _("{event} breaks its position's chain: an earlier event was altered").format(event=_name(row, report))
    positions[key] = (version, position_hash)
    log_hash = log_link(report.head, row.notification_id, e_hash, row.chain.login)
    if check_log and log_hash != row.chain.log_hash:
        return _("{event} breaks the log chain: an earlier event was deleted, inserted or altered").format(
            event=_name(row, report))
    report.head = log_hash if check_log else row.chain.log_hash
    report.count += 1
    return None


def _check_seal(row: Row, report: Report, key: bytes | None) -> str | None:
    """Once a row carries a MAC every later one must; with the key, each must match."""
    assert row.chain is not None
    mac = row.chain.mac
    if mac is None:
        if report.keyed_since is not None:
            return _("{event} has no MAC although the chain is keyed since event {since}: forged or stripped").format(
                event=_name(row, report), since=report.keyed_since)
        return None
    first = report.keyed_since is None
    if first:
        report.keyed_since = row.notification_id
    if key is not None and not mac_matches(key, row.chain.log_hash, mac):
        if first:
            return _("{event} carries a MAC that does not match the given key: the key is not this ledger's, or "
                     "the keyed rows were forged").format(event=_name(row, report))
        return _("{event} carries a forged MAC: written by someone without the chain key").format(
            event=_name(row, report))
    return None


def ledger_rows(ledger: Any, page: int = 1000) -> Iterator[Row]:
    """Merge the events and the chain by notification id, page by page (memory stays flat),
    from the lowest id stored, whatever it is."""
    recorder = ledger.recorder
    after_event: int | None = None
    after_chain: int | None = None
    events: deque[tuple[int, tuple]] = deque()
    chain: deque[tuple[int, Link]] = deque()
    while True:
        if not events:
            events.extend((n.id, (n.originator_id, n.originator_version, n.topic, n.state))
                          for n in recorder.select_log(after_event, page))
            if events:
                after_event = events[-1][0]
        if not chain:
            chain.extend((r[0], Link(*r[1:])) for r in recorder.select_chain(after_chain, page))
            if chain:
                after_chain = chain[-1][0]
        if not events and not chain:
            return
        next_id = min(x[0][0] for x in (events, chain) if x)
        event = events.popleft()[1] if events and events[0][0] == next_id else None
        link = chain.popleft()[1] if chain and chain[0][0] == next_id else None
        yield Row(next_id, event, link)


def counted(rows: Iterable[Row], progress: Progress | None, stage: str, total: int | None) -> Iterator[Row]:
    """Pass `rows` through, calling `progress(stage, done, total)` every thousand rows and at the
    end (the CLI draws a bar; None: nothing)."""
    if progress is None:
        yield from rows
        return
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % 1000 == 0:
            progress(stage, done, total)
    progress(stage, done, total)


def verify_ledger(ledger: Any, digest: tuple | None = None, checkpoints: Path | None = None,
                  now: datetime | None = None, progress: Progress | None = None) -> Report:
    """`grants verify` on the database: the whole chain, `digest` if given, the last checkpoint
    of the `checkpoints` file if any (appended to on success), every MAC when the ledger has its
    key, and who recorded each event (ledger/identity.py)."""
    from grants.ledger.checkpoints import append_checkpoint, last_checkpoint
    from grants.ledger.config import redacted_url
    from grants.ledger.identity import Authority

    last = last_checkpoint(checkpoints) if checkpoints else None
    rows = counted(ledger_rows(ledger), progress, "verify", ledger.head())
    report = verify(rows, digest, expected=[last.expected()] if last else [],
                    key=ledger.chain_key, authority=Authority(by_login=ledger.on_postgres))
    report.checkpoint = last
    if not report.problem and checkpoints and report.count:
        report.appended = append_checkpoint(checkpoints, report, redacted_url(ledger.url), now)
    return report
