"""Checkpoints kept outside the database, as transparency logs keep them.

`grants verify` with a checkpoint file (GRANTS_CHECKPOINTS) first requires the ledger to still
match the last checkpoint in it, then appends a new one. A tail cut off, or a tail replaced by
forged events, no longer matches. One JSON object per line:

    {"at": "2026-11-28T06:00:00Z", "digest": "N:HASH", "keyed_since": 17 | null, "ledger": "<url, no password>"}

`keyed_since` is the first event sealed with a MAC (docs/audit.md): a later verify that finds the
chain keyed from a later event, or not at all, reports the MACs as stripped.
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grants.domain.errors import InvalidInput, VerificationFailed
from grants.domain.i18n import _
from grants.ledger.verify import Expected, Report, parse_digest


@dataclass(frozen=True)
class Checkpoint:
    at: str
    count: int
    head: str
    keyed_since: int | None = None

    def expected(self) -> Expected:
        return Expected(self.count, self.head, _("checkpoint of {at}").format(at=self.at), self.keyed_since)


def last_checkpoint(path: Path) -> Checkpoint | None:
    """The newest checkpoint in the file; None when there is no file yet. A damaged last line
    fails closed: a checkpoint that cannot be read cannot vouch for anything. A file in a folder
    that does not exist is refused (exit 2) rather than started afresh: a mistyped
    GRANTS_CHECKPOINTS would otherwise compare with nothing, and pass, for good."""
    if not path.parent.is_dir():
        raise InvalidInput("checkpoints: " + _("no folder {folder} for the checkpoint file (create it first)").format(
            folder=repr(str(path.parent))))
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise VerificationFailed("checkpoints: " + _("cannot read {path}: {problem}").format(
            path=repr(str(path)), problem=error)) from None
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
        count, head = parse_digest(str(record["digest"]))
        keyed_since = record.get("keyed_since")
        if keyed_since is not None and (isinstance(keyed_since, bool) or not isinstance(keyed_since, int)):
            raise ValueError("keyed_since")
        return Checkpoint(str(record["at"]), count, head, keyed_since)
    except Exception:  # any malformation: the message names the line, not the parser
        raise VerificationFailed("checkpoints: " + _("the last line ({line}) of {path} is damaged").format(
            line=len(lines), path=repr(str(path)))) from None


def append_checkpoint(path: Path, report: Report, ledger: str, now: datetime | None = None) -> Checkpoint:
    """Append the verified state as the newest checkpoint (one write, so concurrent verifies
    never interleave within a line)."""
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    checkpoint = Checkpoint(at.replace("+00:00", "Z"), report.count, report.head, report.keyed_since)
    line = json.dumps({"at": checkpoint.at, "digest": report.digest, "keyed_since": report.keyed_since,
                       "ledger": ledger}, ensure_ascii=False) + "\n"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:  # the folder went away or may not be written: one line, exit 2
        raise InvalidInput("checkpoints: " + _("cannot write {path}: {problem}").format(
            path=repr(str(path)), problem=error.strerror or error)) from None
    return checkpoint
