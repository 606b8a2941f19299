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
  writer meanwhile waits: on SQLite up to its 5 s busy timeout, then exit 3 (re-run); on
  PostgreSQL until the import commits (eventsourcing's POSTGRES_LOCK_TIMEOUT, unset by default,
  would bound that wait too).

Both hand the same parts, in the same order, to the same recorder method (`insert_batches`), so
the ledger they write is the same, event for event and chain row for chain row.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from grants.domain.errors import StorageFailed
from grants.domain.i18n import _, language
from grants.ledger.storage import stored

if TYPE_CHECKING:
    from grants.ledger.application import GrantsLedger

# The writer process: reads its sys.path, then serves the socket it was handed.
BOOTSTRAP = ("import sys; from multiprocessing.connection import Connection; pipe = Connection(int(sys.argv[1])); "
             "path, *opened = pipe.recv(); sys.path[:] = path; "
             "from grants.ledger.batch_writer import serve; serve(pipe, *opened)")
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
    which hands the process its socket, and not in a frozen app, which has no interpreter to
    start); else, or if it cannot be started, `Kept`."""
    if lines >= WRITER_FROM and _cpus() > 1 and os.name == "posix" and sys.executable \
            and not getattr(sys, "frozen", False):
        try:
            return WriterProcess(ledger)
        except OSError:  # no interpreter at sys.executable any more, no processes left
            pass
    return Kept(ledger)


def _cpus() -> int:
    """The CPUs this process may use: those it may run on, bounded by a container's CPU quota
    (cgroup v2 `cpu.max`, e.g. `docker run --cpus=1`), which the affinity does not show."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return cpus
    return cpus if quota == "max" else max(1, min(cpus, int(quota) // int(period)))


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

    Messages to it: first (sys.path, ledger URL, chain key, language), then ("events", rows) for
    each part, then ("commit", absent ids) or ("abort",). It answers ("ready",) once it has
    opened the ledger; ("done", events recorded) after a commit; and ("error", the ledger error)
    as soon as anything fails, after which it reads and drops the parts still coming until the
    commit or abort, so a sender never blocks on a full pipe. Parts wait here until it is ready
    (a slow start never blocks deciding); once it has failed they are dropped, and the failure is
    raised at the commit (a line refused meanwhile is still reported first, as the kept path
    does). Nothing is committed without a commit message: if this process dies, the socket
    closes and the writer rolls back."""

    def __init__(self, ledger: GrantsLedger):
        # A fresh interpreter (no inherited connections, locks or threads), started without
        # multiprocessing's spawn, which would run the caller's main script again in it; in its
        # own process group, so a Ctrl-C at the terminal reaches only this process, which aborts.
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen([sys.executable, "-c", BOOTSTRAP, str(theirs.fileno())],
                                             pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, process_group=0)
        self._pipe = Connection(ours.detach())
        self._waiting: list[list[tuple]] = []
        self._ready = False
        self._failed: BaseException | None = None
        self._open = True  # no commit or abort sent yet
        self._post((sys.path, ledger.url, ledger.chain_key, language()))

    def send(self, events: list[Any]) -> None:
        if self._failed is None and self._pipe.poll():  # ready, or failed: known before the next part
            self._answer(self._receive())
        if self._failed is not None:
            return  # nothing will be written: keep nothing
        # Rows of plain values pickle in about a microsecond an event (an event object: ~7 µs).
        self._waiting.append([(s.originator_id.bytes, s.originator_version, s.topic, s.state) for s in events])
        if self._ready:
            self._flush()

    def commit(self, expect_absent: list[UUID]) -> int:
        if not self._ready and self._failed is None:
            self._answer(self._receive())
        self._flush()
        if self._failed is None:
            self._post(("commit", [oid.bytes for oid in expect_absent]))
        if self._failed is None:
            self._open = False  # from here on it commits: never abort or kill it
            kind, value = self._outcome()
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
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # it rolls back when its socket closes; this is a last resort
            self._process.kill()
            self._process.wait()

    def _outcome(self) -> tuple:
        """The writer's answer to the commit. A Ctrl-C now would not stop the commit, only hide
        whether it happened: the answer is awaited, and is what the import reports."""
        while True:
            try:
                return self._receive()
            except KeyboardInterrupt:
                continue

    def _answer(self, message: tuple) -> None:
        if message[0] == "ready":
            self._ready = True
        else:  # an error: the writer has rolled back (or never began)
            self._failed, self._open, self._waiting = message[1], False, []

    def _flush(self) -> None:
        while self._waiting and self._failed is None:
            self._post(("events", self._waiting.pop(0)))

    def _post(self, message: tuple) -> None:
        try:
            self._pipe.send(message)
        except OSError:  # the writer ended (killed, out of memory): its transaction died with it
            self._failed, self._open, self._waiting = _writer_lost(), False, []

    def _receive(self) -> tuple:
        try:
            return self._pipe.recv()
        except (EOFError, OSError):
            return ("error", _writer_lost())


def _writer_lost() -> StorageFailed:
    return StorageFailed("import: " + _("the process writing the batch ended before committing; nothing was "
                                        "written, re-run"))


class Aborted(Exception):
    """The deciding process asked for nothing to be committed."""


# The writer holds one transaction open while the batch is decided, idle between two parts;
# eventsourcing's default (5 s) would end it whenever 5,000 lines take longer to decide (a remote
# server, a loaded machine). A deciding process stopped for longer still lets go of the lock.
IDLE_IN_TRANSACTION = "60"


def serve(pipe: Connection, url: str, chain_key: bytes | None, language: str) -> None:
    """The writer process: open the ledger, insert each part as it arrives, commit when told."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the deciding process handles Ctrl-C: it aborts
    with contextlib.suppress(EOFError, OSError):  # the deciding process is gone: nothing was committed
        if language != "en":  # its errors in the user's language: the CLI's catalogue, installed as there
            importlib.import_module("grants.cli.language").install(language)  # the edge's, named at run time
        os.environ.setdefault("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", IDLE_IN_TRANSACTION)
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
        pipe.send(("error", _picklable(error)))  # at once: the deciding process stops handing over parts
        while not ended:  # then read (and drop) the parts still coming, up to the commit or abort
            if (message := pipe.recv())[0] != "events":
                ended.append(message[0])
    finally:
        ledger.close()


def _picklable(error: BaseException) -> BaseException:
    """The error itself when it crosses the socket intact (every ledger error does), else a
    RuntimeError naming it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
