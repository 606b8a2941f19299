"""`grants demo`: a realistic national ledger in a file of its own, then the main reports."""

from __future__ import annotations

import time
from pathlib import Path

import click

from grants.cli.output import emit_rows
from grants.cli.reports import FUNDING_COLUMNS, VIOLATION_COLUMNS, WINDDOWN_COLUMNS
from grants.domain.errors import RuleRefused
from grants.domain.i18n import _

ENDS_COLUMNS = ["ends", "scheme", "positions"]


def demo_url() -> str:
    """The demo's own file (replaced on every run): never the user's ledger, never a temp folder."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('grants')) / 'demo.sqlite'}"


@click.command("demo", short_help="A realistic national ledger of its own, and its reports.")
@click.option("--seed", type=int, default=765, show_default=True, metavar="N", help="Random seed of the data set.")
@click.pass_context
def demo_cmd(ctx: click.Context, seed: int) -> None:
    """Fill a fresh ledger with a realistic national data set and print the main reports.

    The demo writes its own file (replaced on every run) unless --db names an empty ledger;
    it never touches the ledger named by GRANTS_DB.

    \b
    Example:
      grants demo
    """
    from grants.cli.progress import progress
    from grants.ledger.application import GrantsLedger
    from grants.ledger.config import redacted_url, sqlite_path
    from grants.ledger.demo import DemoBuilder
    from grants.projections import reports

    if ctx.obj.url is None:
        ctx.obj.url = demo_url()
        for suffix in ("", "-wal", "-shm"):  # the previous demo, if any
            Path(str(sqlite_path(ctx.obj.url)) + suffix).unlink(missing_ok=True)
    ledger = ctx.obj.adopt(GrantsLedger.create(ctx.obj.url))
    if ledger.head() != 0:
        raise RuleRefused("db: " + _("the demo needs an empty ledger; {url} already has events").format(
            url=repr(redacted_url(ledger.url))))
    ledger.initialize()  # as grants init: whoever runs the demo is its first admin, so roles apply
    started = time.perf_counter()
    with progress(ctx) as report_progress:
        builder = DemoBuilder(ledger, seed=seed, progress=report_progress)
        commands = builder.build()
        written, refused = ledger.execute_all(list(enumerate(commands, start=1)), progress=report_progress)
        if refused:  # the generator is wrong: say so rather than hide it
            raise RuleRefused(_("demo data refused at command {number}: {problem}").format(
                number=refused[0][0], problem=refused[0][1]))
        for frame in builder.frames():
            ledger.set_frame(frame)
        engine = ctx.obj.current_views(progress=report_progress)
    seconds = time.perf_counter() - started
    positions = len(builder.work.positions)
    url = redacted_url(ledger.url)
    click.echo(_("Demo ledger: {url}").format(url=url))
    click.echo(_("{commands} commands, {written} events on {positions} positions, {head} events in all (with "
                 "users, frames and appropriations), in {seconds} s")
               .format(commands=len(commands), written=written, positions=positions, head=ledger.head(),
                       seconds=f"{seconds:.1f}") + "\n")
    click.echo("== " + _("Funding by office, 2021 (grants funding --by office --year 2021)"))
    emit_rows(reports.funding(engine, by="office", year=2021), "table", FUNDING_COLUMNS["office"])
    click.echo("\n== " + _("Funding by year, all schemes (grants funding --by year)"))
    emit_rows(reports.funding(engine, by="year"), "table", FUNDING_COLUMNS["year"])
    per_year, violations = reports.winddown(engine, ledger.today())
    click.echo("\n== " + _("Transitional wind-down 2021-2024 (grants winddown)"))
    emit_rows(per_year, "table", WINDDOWN_COLUMNS)
    click.echo(_("violations: {count}").format(count=len(violations)))
    emit_rows(violations, "table", VIOLATION_COLUMNS)
    click.echo("\n== " + _("Where funding ends (grants expiry), positions per year and scheme"))
    ends: dict[tuple[int, str], int] = {}
    for row in reports.expiry(engine):
        ends[(row["ends"], row["scheme"])] = ends.get((row["ends"], row["scheme"]), 0) + 1
    emit_rows([{"ends": y, "scheme": s, "positions": n} for (y, s), n in sorted(ends.items())], "table",
              ENDS_COLUMNS)
    click.echo("\n" + _("Explore it: {command}").format(command=f"GRANTS_DB={url} grants compliance --year 2023"))


COMMANDS = {"demo": demo_cmd}
