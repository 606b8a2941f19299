"""Export events with their chain rows, and read such an export back for `verify --file`.

JSON Lines, one event per line in recording order, then one manifest line (docs/audit.md). The
`login` and `mac` fields appear on rows that have them; a row without `login` hashes as before
logins were recorded, so older exports still verify.
"""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grants.domain.errors import InvalidInput, VerificationFailed
from grants.ledger.progress import Progress
from grants.ledger.verify import Link, Report, Row, counted, ledger_rows, verify

EXPORT_FORMAT = "grants-export/1"


def export_lines(ledger: Any, wanted: str | None = None, scope: str = "all",
                 progress: Progress | None = None) -> tuple[list[str], dict]:
    """The event lines (all, or one position's by originator id hex) and the manifest.
    Refuses a ledger that fails verification. `progress` as for verify_ledger."""
    head = ledger.head()
    report = verify(counted(ledger_rows(ledger), progress, "verify", head))
    if report.problem:
        raise VerificationFailed(f"refusing to export a ledger that fails verification: {report.problem}")
    lines = [_line(row) for row in counted(ledger_rows(ledger), progress, "export", head)
             if not wanted or (row.event is not None and _hex(row.event[0]) == wanted)]
    manifest = {"format": EXPORT_FORMAT, "scope": scope, "events": len(lines), "digest": report.digest,
                "exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    return lines, manifest


def export_text(ledger: Any, wanted: str | None = None, scope: str = "all",
                progress: Progress | None = None) -> tuple[str, dict]:
    lines, manifest = export_lines(ledger, wanted, scope, progress)
    return "\n".join([*lines, json.dumps({"manifest": manifest})]) + "\n", manifest


def _hex(oid) -> str:
    return oid.hex if hasattr(oid, "hex") and not isinstance(oid, str) else str(oid)


def _line(row: Row) -> str:
    assert row.event is not None and row.chain is not None  # exported from a ledger that verified
    oid, version, topic, state = row.event
    record = {"notification_id": row.notification_id, "originator_id": _hex(oid), "originator_version": version,
              "topic": topic, "state": base64.b64encode(bytes(state)).decode(), "event_hash": row.chain.event_hash,
              "position_hash": row.chain.position_hash, "log_hash": row.chain.log_hash}
    record.update({k: v for k, v in (("login", row.chain.login), ("mac", row.chain.mac)) if v is not None})
    return json.dumps(record, ensure_ascii=False)


def read_export(path: Path) -> tuple[list[Row], dict]:
    """Rows and manifest of an export file; damaged lines fail verification, never crash.

    A file in which no line is an export record or manifest is not an export at all: a wrong
    --file (exit 2), not a failed verification. A recognisable export that is damaged fails
    verification (exit 7), naming its first damaged line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"file: cannot read {str(path)!r}: {getattr(error, 'strerror', None) or error}") from None
    rows, manifest, damaged = [], {}, None
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if "manifest" in record:
                manifest = record["manifest"]
                continue
            rows.append(_row(record))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            damaged = damaged or f"export line {number} is damaged ({type(error).__name__})"
    if not rows and not (isinstance(manifest, dict) and manifest.get("format") == EXPORT_FORMAT):
        raise InvalidInput(f"file: {str(path)!r} is not an export of grants export (no {EXPORT_FORMAT} manifest "
                           "and no event lines)")
    if damaged:
        raise VerificationFailed(damaged)
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise VerificationFailed(f"export has no {EXPORT_FORMAT} manifest")
    return rows, manifest


def _row(record: dict) -> Row:
    oid, version = record["originator_id"], int(record["originator_version"])
    state = base64.b64decode(record["state"], validate=True)
    login, mac = record.get("login"), record.get("mac")
    if not all(isinstance(v, (str, type(None))) for v in (login, mac)):
        raise TypeError("login and mac must be text")
    link = Link(oid, version, record["event_hash"], record["position_hash"], record["log_hash"], login, mac)
    return Row(int(record["notification_id"]), (oid, version, record["topic"], state), link)


def verify_export(path: Path, expected: tuple | None = None,
                  progress: Progress | None = None) -> tuple[Report, dict]:
    """Verify an export away from the database: position chains always, the log chain and the
    manifest digest for an --all export."""
    rows, manifest = read_export(path)
    whole = manifest.get("scope") == "all"
    report = verify(counted(rows, progress, "verify", len(rows)), expected, check_log=whole)
    if not report.problem and report.count != manifest.get("events"):
        report.problem = f"export lists {manifest.get('events')} events but holds {report.count}"
    if not report.problem and whole and manifest.get("digest") != report.digest:
        report.problem = f"export manifest digest {manifest.get('digest')} does not match {report.digest}"
    return report, manifest
