"""Where a batch's events go while its lines are decided: kept for one write at the end, or
written by a second process as they are decided.

A batch (an import, the demo) decides its lines in order; every PART lines the events they made
are encoded and handed to a sink. Nothing is committed unless every line was allowed: at the
first refusal, or on any error, the sink is closed without committing and everything it was
given is dropped or rolled back.

- `Kept` stores every part at the end, in one transaction: the ledger's write lock is held only
  while storing, as for a single command.
- `WriterProcess`, for a batch of WRITER_FROM lines or more on a machine with a second CPU: a
  second process inserts each part, with its chain rows, into one open transaction while this
  process decides the next lines, and commits when told to. Inserting events and their chain rows
  is about a third of an import's time (docs/performance.md); on the second CPU it leaves the
  critical path. The price: the write lock is held from the first part to the commit, so another
  writer meanwhile waits (SQLite's 5 s busy timeout, PostgreSQL's lock_timeout) and past that
  gets exit 3 and re-runs, as it would against any long write.

Both hand the same parts, in the same order, to the same recorder method (`insert_batches`), so
the ledger they write is the same, event for event and chain row for chain row.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from grants.domain.errors import StorageFailed
from grants.domain.i18n import _
from grants.ledger.storage import stored

if TYPE_CHECKING:
    from grants.ledger.application import GrantsLedger

# The writer process: reads its sys.path, then serves the socket it was handed.
BOOTSTRAP = ("import sys; from multiprocessing.connection import Connection; pipe = Connection(int(sys.argv[1])); "
             "path, url, key = pipe.recv(); sys.path[:] = path; "
             "from grants.ledger.batch_writer import serve; serve(pipe, url, key)")
PART = 5_000  # lines decided between two hand-overs (about 2 MB of encoded events)
WRITER_FROM = 10_000  # lines: below this a second process costs more (its start) than it saves


class Sink(Protocol):
    def send(self, events: list[Any]) -> None:
        """Take one part: stored events, in the order they are to be recorded."""

    def commit(self, expect_absent: list[UUID]) -> int:
        """Record every part in one transaction, asserting these aggregates still have no events
        (GrantsLedger._store); returns the number of events recorded."""

    def close(self) -> None:
        """Drop whatever was not committed (idempotent)."""


def sink_for(ledger: GrantsLedger, lines: int) -> Sink:
    """A writer process for a large batch when a second CPU is free to run it (on a POSIX system,
    which hands the process its socket); else `Kept`."""
    if lines >= WRITER_FROM and _cpus() > 1 and os.name == "posix" and sys.executable:
        return WriterProcess(ledger)
    return Kept(ledger)


def _cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class Kept:
    """Every part kept in memory and stored at the end in one transaction."""

    def __init__(self, ledger: GrantsLedger):
        self.recorder = ledger.recorder
        self.parts: list[list[Any]] = []

    def send(self, events: list[Any]) -> None:
        self.parts.append(events)

    def commit(self, expect_absent: list[UUID]) -> int:
        with stored():
            ids = self.recorder.insert_batches(self.parts, lambda: {"expect_absent": expect_absent})
        self.parts = []
        return len(ids)

    def close(self) -> None:
        self.parts = []


class WriterProcess:
    """A second process that inserts each part as it arrives into one open transaction.

    Messages to it: ("events", rows) for each part, then ("commit", absent ids) or ("abort",).
    It answers ("ready",) once it has opened the ledger, and after a commit or an abort
    ("done", events recorded) or ("error", the ledger error). Until it is ready the parts wait
    here, so a slow start never blocks deciding. After an error it keeps reading (and dropping)
    parts until the commit or abort, so a sender is never left blocked on a full pipe. If this
    process dies, the pipe closes, and the writer rolls back and exits: nothing is committed
    without a commit message."""

    def __init__(self, ledger: GrantsLedger):
        # A fresh interpreter (no inherited connections, locks or threads), started without
        # multiprocessing's spawn, which would run the caller's main script again in it.
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen([sys.executable, "-c", BOOTSTRAP, str(theirs.fileno())],
                                             pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL)
        self._pipe = Connection(ours.detach())
        self._waiting: list[list[tuple]] = []
        self._ready = False
        self._failed: BaseException | None = None
        self._open = True
        self._post((sys.path, ledger.url, ledger.chain_key))  # where to import from, what to open

    def send(self, events: list[Any]) -> None:
        # Rows of plain values pickle in about a microsecond an event (an event object: ~7 µs).
        self._waiting.append([(s.originator_id.bytes, s.originator_version, s.topic, s.state) for s in events])
        if not self._ready and self._failed is None and self._pipe.poll():
            self._answer_ready(self._pipe.recv())
        if self._ready:
            self._flush()

    def commit(self, expect_absent: list[UUID]) -> int:
        if not self._ready and self._failed is None:
            self._answer_ready(self._receive())
        self._flush()
        if self._failed is None:
            self._post(("commit", [oid.bytes for oid in expect_absent]))
        if self._failed is None:
            kind, value = self._receive()
            self._open = False
            if kind == "done":
                return value
            self._failed = value
        self.close()
        raise self._failed or AssertionError("unreachable")

    def close(self) -> None:
        if self._open:
            self._open = False
            if self._failed is None:
                self._post(("abort",))
        self._pipe.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it rolls back when its pipe closes; this is a last resort
            self._process.kill()
            self._process.wait()

    def _answer_ready(self, message: tuple) -> None:
        if message[0] == "ready":
            self._ready = True
        else:
            self._failed, self._open = message[1], False

    def _flush(self) -> None:
        while self._waiting and self._failed is None:
            self._post(("events", self._waiting.pop(0)))

    def _post(self, message: tuple) -> None:
        try:
            self._pipe.send(message)
        except OSError:  # the writer ended (killed, out of memory): its transaction died with it
            self._failed, self._open = _writer_lost(), False

    def _receive(self) -> tuple:
        try:
            return self._pipe.recv()
        except (EOFError, OSError):
            self._open = False
            return ("error", _writer_lost())


def _writer_lost() -> StorageFailed:
    return StorageFailed("import: " + _("the process writing the batch ended before committing; nothing was "
                                        "written, re-run"))


class Aborted(Exception):
    """The deciding process asked for nothing to be committed."""


def serve(pipe: Connection, url: str, chain_key: bytes | None) -> None:
    """The writer process: open the ledger, insert each part as it arrives, commit when told."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the deciding process's to handle: it aborts
    with contextlib.suppress(EOFError, OSError):  # the deciding process is gone: nothing was committed
        _serve(url, chain_key, pipe)


def _serve(url: str, chain_key: bytes | None, pipe: Connection) -> None:
    from eventsourcing.persistence import StoredEvent

    from grants.ledger.application import GrantsLedger

    try:
        with stored():
            ledger = GrantsLedger(url, chain_key=chain_key)
    except Exception as error:  # the deciding process reports it, as its own
        pipe.send(("error", _picklable(error)))
        return
    pipe.send(("ready",))
    ended: list[str] = []  # "commit" or "abort", once read
    expected: dict[str, Any] = {}

    def parts():
        while (message := pipe.recv())[0] == "events":  # EOFError if the deciding process is gone
            yield [StoredEvent(UUID(bytes=oid), version, topic, state) for oid, version, topic, state in message[1]]
        ended.append(message[0])
        if message[0] != "commit":
            raise Aborted
        expected["expect_absent"] = [UUID(bytes=oid) for oid in message[1]]

    try:
        with stored():
            ids = ledger.recorder.insert_batches(parts(), lambda: expected)
        pipe.send(("done", len(ids)))
    except Aborted:
        pass
    except Exception as error:
        while not ended:  # read (and drop) the parts still coming: the sender never blocks on a full pipe
            if (message := pipe.recv())[0] != "events":
                ended.append(message[0])
        if ended == ["commit"]:
            pipe.send(("error", _picklable(error)))
    finally:
        ledger.close()


def _picklable(error: BaseException) -> BaseException:
    """The error itself when it crosses the pipe intact (every ledger error does), else a
    RuntimeError naming it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
