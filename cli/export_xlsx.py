"""`grants export --format xlsx`: the ledger (or one position) as a workbook with three sheets:
`commands` (the batch-import layout: `grants import` reads it back), `events` (every event with
its business date, recorded time, payload and hashes) and `manifest` (scope, count, digest)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grants.cli.output import plain
from grants.domain.errors import InvalidInput, VerificationFailed
from grants.domain.i18n import _

EXCEL_ROWS = 1_048_575  # an Excel sheet's rows, less the header
STANDARD = ("originator_id", "originator_version", "timestamp", "originator_topic")
EVENT_COLUMNS = ["notification_id", "ref", "version", "event", "recorded", "effective", "actor", "reason",
                 "payload", "event_hash", "position_hash", "log_hash"]


def export_tables(ledger: Any, ref: str | None, export_format: str) -> list[tuple[str, list[dict], list[str]]]:
    from grants.ledger.as_commands import columns, command_rows
    from grants.ledger.verify import ledger_rows, verify

    rows = list(ledger_rows(ledger))
    report = verify(rows)
    if report.problem:
        raise VerificationFailed(_("refusing to export a ledger that fails verification: {problem}").format(
            problem=report.problem))
    wanted = ledger.position(ref).id if ref else None
    chain = {row.notification_id: row.chain for row in rows}
    events = [(nid, e) for nid, e in _log(ledger) if wanted is None or e.originator_id == wanted]
    if len(events) > EXCEL_ROWS:
        raise InvalidInput("--format: " + _("{count} events do not fit one Excel sheet; use --format jsonl").format(
            count=len(events)))
    commands, skipped = command_rows([e for _, e in events])
    labels = _labels(e for _, e in events)
    event_rows = [_event_row(nid, e, labels, chain[nid]) for nid, e in events]
    manifest = {"format": export_format, "scope": f"ref:{ref}" if ref else "all", "events": len(events),
                "digest": report.digest, "commands": len(commands), "events_without_command": skipped,
                "exported_at": datetime.now(UTC)}
    return [("commands", commands, columns()), ("events", event_rows, EVENT_COLUMNS),
            ("manifest", [manifest], list(manifest))]


def _log(ledger: Any, page: int = 1000):
    after, head = 0, ledger.head()
    while batch := ledger.read_log(after, page, head):
        yield from batch
        after = batch[-1][0]


def _labels(events) -> dict[Any, str]:
    """A readable name per aggregate: a position's ref, a frame's office/scheme/year."""
    labels = {}
    for e in events:
        if getattr(e, "ref", None) and e.originator_version == 1:
            labels[e.originator_id] = e.ref
        elif hasattr(e, "office") and hasattr(e, "scheme") and hasattr(e, "year") and e.originator_version == 1:
            labels[e.originator_id] = f"{e.office}/{e.scheme}/{e.year}"
    return labels


def _event_row(notification_id: int, e: Any, labels: dict, chain: tuple) -> dict[str, Any]:
    payload = {k: v for k, v in e.__dict__.items() if k not in STANDARD}
    return {"notification_id": notification_id, "ref": labels.get(e.originator_id), "version": e.originator_version,
            "event": type(e).__name__, "recorded": e.timestamp, "effective": payload.get("effective"),
            "actor": payload.get("actor"), "reason": payload.get("reason"),
            "payload": json.dumps(plain(payload), ensure_ascii=False, sort_keys=True),
            "event_hash": chain[2], "position_hash": chain[3], "log_hash": chain[4]}


def write_export(ledger: Any, ref: str | None, output: Path | None, export_format: str) -> None:
    from grants.cli.tables import write_tables

    write_tables(export_tables(ledger, ref, export_format), "xlsx", output)
