"""The progress callback long ledger work accepts: (stage, done, total or None). The CLI passes
one that draws a bar on a terminal; library callers pass none."""

from collections.abc import Callable

Progress = Callable[[str, int, "int | None"], None]
