"""Where a batch's events go while its lines are decided: kept for one write at the end, or
written by a second process as they are decided.

A batch (an import, the demo) decides its lines in order; every PART lines (or PART_SECONDS,
if sooner) the events they made are encoded and handed to a sink. Nothing is committed unless
every line was allowed: at the first refusal, or on any error, the sink is closed without
committing and everything it was given is dropped or rolled back.

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
import math
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from grants.domain.errors import GrantsError, StorageFailed
from grants.domain.i18n import _, language
from grants.ledger.storage import stored

if TYPE_CHECKING:
    from grants.ledger.application import GrantsLedger

# The writer process: reads its sys.path, then serves the socket it was handed.
# Ctrl-C at the terminal reaches the whole process group: the writer ignores it from its first
# line (the deciding process handles it, and aborts), then reads its sys.path and serves.
BOOTSTRAP = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
             "from multiprocessing.connection import Connection; pipe = Connection(int(sys.argv[1])); "
             "path, *opened = pipe.recv(); sys.path[:] = path; "
             "from grants.ledger.batch_writer import serve; serve(pipe, *opened)")
PART = 5_000  # lines decided between two hand-overs (about 2 MB of encoded events) ...
PART_SECONDS = 10  # ... or fewer, when deciding them takes longer (a remote server): the writer's
PART_CHECK = 100  # transaction is never idle long (the clock is read every PART_CHECK lines)
WRITER_FROM = 10_000  # lines: below this a second process costs more (its start) than it saves


class Sink(Protocol):
    def send(self, events: list[Any]) -> None:
        """Take one part: stored events, in the order they are to be recorded."""

    def commit(self, expect_absent: list[UUID]) -> None:
        """Record every part in one transaction, asserting these aggregates still have no events
        (GrantsLedger._store)."""

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
    return min([cpus, *_cgroup_quotas()])


def _cgroup_quotas(proc: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")) -> list[int]:
    """Whole CPUs allowed by each cgroup v2 `cpu.max` from this process's cgroup up to the root
    (none on cgroup v1 or outside Linux)."""
    try:
        own = next(line[3:].strip() for line in proc.read_text().splitlines() if line.startswith("0::"))
    except (OSError, StopIteration):
        return []
    leaf = root / own.lstrip("/")
    found = []
    for folder in [leaf, *leaf.parents]:
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
            if quota != "max":
                found.append(max(1, math.ceil(int(quota) / int(period))))  # 1.5 CPUs: a second, in part
        except (OSError, ValueError, ZeroDivisionError):
            pass
        if folder == root:
            break
    return found


class Kept:
    """Every part kept in memory and stored at the end in one transaction."""

    def __init__(self, ledger: GrantsLedger):
        self.recorder = ledger.recorder
        self.parts: list[list[Any]] = []

    def send(self, events: list[Any]) -> None:
        self.parts.append(events)

    def commit(self, expect_absent: list[UUID]) -> None:
        with stored():
            self.recorder.insert_batches(self.parts, lambda: {"expect_absent": expect_absent})
        self.parts = []

    def close(self) -> None:
        self.parts = []


class WriterProcess:
    """A second process that inserts each part as it arrives into one open transaction.

    Messages to it: first (sys.path, ledger URL, chain key, language), then ("events", rows) for
    each part, then ("commit", absent ids) or ("abort",). It answers ("ready",) once it has
    opened the ledger. After "commit" it inserts what is left and asks ("committing",) just
    before it commits; only a ("go",) lets it commit (so a Ctrl-C until then still aborts, and
    one after it is ignored: it could no longer stop the commit, only hide whether it happened);
    it answers ("done",). It sends ("error", the ledger error) as soon as
    anything fails, after which it reads and drops the parts still coming until the commit, the
    abort or the socket's end, so a sender never blocks on a full pipe. Parts wait here until it
    is ready (a slow start never blocks deciding); once it has failed they are dropped, and the
    failure is raised at the commit (a line refused meanwhile is still reported first, as the
    kept path does). Nothing is committed without a "go": if this process dies, the socket
    closes and the writer rolls back."""

    def __init__(self, ledger: GrantsLedger):
        # A fresh interpreter (no inherited connections, locks or threads), started without
        # multiprocessing's spawn, which would run the caller's main script again in it.
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen([sys.executable, "-c", BOOTSTRAP, str(theirs.fileno())],
                                             pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL)
        self._pipe = Connection(ours.detach())
        self._recorder = ledger.recorder
        self._last: Any = None  # the last stored event handed over: was it committed?
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
        if not events and self._last is None:  # nothing yet: the writer has not begun its transaction
            return
        if events:
            self._last = events[-1]
        # Rows of plain values pickle in about a microsecond an event (an event object: ~7 µs).
        self._waiting.append([(s.originator_id.bytes, s.originator_version, s.topic, s.state) for s in events])
        if self._ready:
            self._flush()

    def commit(self, expect_absent: list[UUID]) -> None:
        if not self._ready and self._failed is None:
            self._answer(self._receive())
        self._flush()
        if self._failed is None:
            self._post(("commit", [oid.bytes for oid in expect_absent]))
        if self._failed is None:
            # It inserts what is left (perhaps waiting for the ledger's lock) and checks the
            # expectations; until it asks, a Ctrl-C here aborts and nothing is committed.
            answer = self._receive()
            if answer[0] == "committing":
                with _ctrl_c_noted():
                    self._open = False  # from "go" on it commits: never abort or kill it
                    self._post(("go",))
                    answer = self._receive() if self._failed is None else ("error", self._failed)
                    if answer[0] == "done":
                        return
                    value = answer[1]
                    if isinstance(value, WriterLost):  # it ended without answering: did it commit?
                        committed = self._committed_anyway()
                        if committed:
                            return
                        value = value if committed is False else _outcome_unknown()
                    self._failed = value
            else:  # it failed (or died) before it could commit: nothing was committed
                self._open, self._failed = False, answer[1]
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

    def _committed_anyway(self) -> bool | None:
        """Whether a writer that ended after its "go" committed (None: the ledger cannot be read).
        A commit is all or nothing, so the ledger answers: once the writer's transaction has
        ended on the server too (PostgreSQL finishes a COMMIT its client did not wait for), look
        for the last event handed over, byte for byte (another writer's event at the same
        version is not ours)."""
        last = self._last
        if last is None:
            return False
        try:
            with stored():
                self._recorder.wait_for_writers()
                found = self._recorder.select_events(last.originator_id, gt=last.originator_version - 1,
                                                     lte=last.originator_version, limit=1)
        except GrantsError:
            return None
        return bool(found) and bytes(found[0].state) == bytes(last.state) and found[0].topic == last.topic

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


def _outcome_unknown() -> StorageFailed:
    return StorageFailed("import: " + _("the process writing the batch ended after it was told to commit, "
                                        "and the ledger cannot be read to see whether it did; check the "
                                        "last line's position (grants history) before re-running"))


class WriterLost(StorageFailed):
    """The writer ended without answering (killed, out of memory)."""


def _writer_lost() -> WriterLost:
    return WriterLost("import: " + _("the process writing the batch ended before committing; nothing was "
                                     "written, re-run"))


@contextmanager
def _ctrl_c_noted() -> Iterator[None]:
    """From the "go" to its answer, Ctrl-C is ignored: it could no longer stop the commit, only
    hide whether it happened (a KeyboardInterrupt inside `recv` can even leave the answer half
    read). The answer is what the import reports."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler set outside Python, which cannot be put back from here
            signal.signal(signal.SIGINT, previous)


class Aborted(Exception):
    """The deciding process asked for nothing to be committed."""


# The writer holds one transaction open while the batch is decided, idle between two parts (at
# most about PART_SECONDS apart: once it has begun, a part without events is still sent, and
# keeps it busy); eventsourcing's default, 5 s, would end it whenever a part took longer to
# decide. On PostgreSQL a deciding process that is stopped (Ctrl-Z) still lets go of the lock
# after this; on SQLite only when it ends. A GRANTS_-prefixed setting of the same name wins.
IDLE_IN_TRANSACTION_SECONDS = 120


def serve(pipe: Connection, url: str, chain_key: bytes | None, language: str) -> None:
    """The writer process: open the ledger, insert each part as it arrives, commit when told."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the deciding process handles Ctrl-C: it aborts
    with contextlib.suppress(EOFError, OSError):  # the deciding process is gone: nothing was committed
        if language != "en":  # its errors in the user's language: the CLI's catalogue, installed as there
            with contextlib.suppress(Exception):  # else in English, as written, rather than no writer
                importlib.import_module("grants.cli.language").install(language)  # the edge's, named at run time
        _serve(url, chain_key, pipe)


def _serve(url: str, chain_key: bytes | None, pipe: Connection) -> None:
    from eventsourcing.persistence import StoredEvent

    from grants.ledger.application import GrantsLedger

    try:
        with stored():  # the ledger's own setting under its name (GRANTS_POSTGRES_...) wins, as everywhere
            ledger = GrantsLedger(url, chain_key=chain_key, idle_in_transaction=IDLE_IN_TRANSACTION_SECONDS)
    except Exception as error:  # the deciding process reports it, as its own
        pipe.send(("error", _sendable(error)))
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

    def asked_to_commit() -> dict[str, Any]:
        """Everything is inserted: ask before committing (the recorder checks these expectations,
        then commits)."""
        pipe.send(("committing",))
        if pipe.recv()[0] != "go":  # an abort (a Ctrl-C meanwhile), or EOFError: the deciding process is gone
            raise Aborted
        return expected

    try:
        with stored():
            ledger.recorder.insert_batches(parts(), asked_to_commit)
    except Aborted:
        pass
    except Exception as error:
        pipe.send(("error", _sendable(error)))  # at once: the deciding process stops handing over parts
        while not ended:  # then read (and drop) the parts still coming, up to the commit or abort (or
            if (message := pipe.recv())[0] != "events":  # the socket's end: EOFError)
                ended.append(message[0])
    else:
        pipe.send(("done",))
    finally:
        ledger.close()


def _sendable(error: BaseException, most: int = 2000) -> BaseException:
    """The error as it crosses the socket: a ledger error as itself (each takes its one message),
    anything else (a bug) as a RuntimeError naming it; the message cut to `most` characters, so
    that sending it can never wait on a full socket (the deciding process may be sending a part
    meanwhile)."""
    if isinstance(error, GrantsError):
        return type(error)(str(error)[:most])
    return RuntimeError(f"{type(error).__name__}: {str(error)[:most]}")
