"""Standard output and error for a reader that may stop reading (`grants check | head -1`).

Python answers a write to a closed pipe with BrokenPipeError, which click turns into exit 1 (our
"internal error") wherever the command happened to be, so `grants check 2>&1 | head` lost its
exit 6 and an import writing its problems could not say 4. Here the reader going away ends what
is shown, not the command: the stream's descriptor is pointed at /dev/null, later writes (and
the interpreter's last flush) go nowhere, and the command ends with its own exit code.
"""

from __future__ import annotations

import io
import os
import sys


class _ReaderMayLeave(io.BufferedWriter):
    """A buffered writer on the process's descriptor `fd`; the first write or flush the reader no
    longer takes moves the descriptor to /dev/null. The writing itself stays in C (FileIO under
    the C BufferedWriter): a Ctrl-C arriving just after a write had reached the terminal, while a
    Python-level raw writer was returning, left the written bytes buffered, and the exit's flush
    printed them a second time."""

    def __init__(self, fd: int):
        super().__init__(io.FileIO(fd, "w", closefd=False))

    def write(self, data) -> int:  # type: ignore[override]
        try:
            return super().write(data)
        except BrokenPipeError:
            self._to_devnull()
            return super().write(data)  # to /dev/null now, with whatever was buffered before it

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            self._to_devnull()
            super().flush()

    def _to_devnull(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.fileno())
        os.close(devnull)


# The streams replaced, kept for the life of the process: a caller's own file set as sys.stdout
# (`sys.stdout = open(...)`, no other reference) would otherwise be collected and close its
# descriptor, the next file opened (the ledger's SQLite file) would get the same number, and
# the report's lines would be written over the ledger.
_REPLACED: list = []


def tolerate_leaving_readers() -> None:
    """Replace sys.stdout and sys.stderr (when they are the process's own descriptors, not a test's
    capture) by the same streams over `_ReaderMayLeave`: encoding, error handling and line
    buffering as they were. The replaced streams stay open (see _REPLACED)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(getattr(stream, "buffer", None), _ReaderMayLeave):
            continue  # replaced already: main() run again in the same process
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # a StringIO or a test runner's capture
            continue
        stream.flush()
        _REPLACED.append(stream)
        setattr(sys, name, io.TextIOWrapper(_ReaderMayLeave(fd), encoding=stream.encoding,
                                            errors=stream.errors, line_buffering=stream.line_buffering))
