"""Progress on stderr for long work (import, rebuild, verify, export, demo).

Shown only when stderr is a terminal and --quiet was not given: piped or logged output stays
clean. The library (ledger/, projections/) knows nothing of it: it calls a plain callback
`report(stage, done, total)`, and this module turns the calls into tqdm bars. tqdm is imported
only when a bar is shown, so no command pays for it at start-up.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

from grants.domain.i18n import N_, _

# What each stage key of the library means to a person (one place for these words).
STAGES = {
    "read": N_("reading lines"),
    "decide": N_("checking decisions"),
    "store": N_("writing events"),
    "build": N_("making the demo data"),
    "positions": N_("folding events into positions"),
    "frames": N_("folding events into frames"),
    "verify": N_("verifying the chain"),
    "export": N_("exporting events"),
}
LINES_STAGES = ("read", "decide")  # counted in lines of a file; the others in events


class Progress:
    """A callable `(stage, done, total)` showing one bar per stage; a no-op when disabled."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            from tqdm import tqdm

            self.stage = stage
            self.bar = tqdm(total=total, desc=_(STAGES[stage]) if stage in STAGES else stage, file=sys.stderr,
                            leave=False, unit=" " + (_("lines") if stage in LINES_STAGES else _("events")),
                            dynamic_ncols=True, mininterval=0.2)
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar, self.stage = None, None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def progress(ctx: click.Context) -> Progress:
    """The progress display for this command: on when stderr is a terminal and not --quiet."""
    quiet = getattr(ctx.find_object(_context_class()), "quiet", False)
    return Progress(enabled=not quiet and _is_terminal(sys.stderr))


def _context_class() -> type:
    from grants.cli.main import Context

    return Context


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
