"""`grants demo`: a realistic national ledger on a fresh SQLite file, then the main reports."""

import tempfile
import time
from grants.domain.position import today
from pathlib import Path

import click

from grants.cli.main import cli
from grants.cli.output import emit_rows
from grants.domain.errors import RuleRefused


@cli.command("demo")
@click.option("--seed", type=int, default=765, show_default=True, help="Random seed of the data set.")
@click.pass_context
def demo_cmd(ctx, seed):
    """Fill a fresh ledger with a realistic national data set and print the main reports."""
    from grants.ledger.demo import DemoBuilder
    from grants.projections import reports

    if ctx.obj.url is None:  # never write demo data into the user's real ledger
        ctx.obj.url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='grants-demo-')) / 'demo.sqlite'}"
    from grants.ledger.config import redacted_url

    ledger = ctx.obj.ledger()
    shown = redacted_url(ledger.url)  # never print a database password
    if ledger.head() != 0:
        raise RuleRefused(f"db: the demo needs an empty ledger; {shown!r} already has events")
    started = time.perf_counter()
    builder = DemoBuilder(ledger, seed=seed)
    commands = builder.build()
    written, refused = ledger.execute_all(list(enumerate(commands, start=1)))
    if refused:  # the generator is wrong: say so rather than hide it
        raise RuleRefused(f"demo data refused at command {refused[0][0]}: {refused[0][1]}")
    for frame in builder.frames():
        ledger.set_frame(frame, committed=frame.amount)
    engine = ctx.obj.current_views()
    seconds = time.perf_counter() - started
    positions = len(builder.work.positions)
    click.echo(f"Demo ledger: {shown}")
    click.echo(f"{len(commands)} commands, {written} position events, {positions} positions, "
               f"{ledger.head()} events in all, in {seconds:.1f} s\n")
    click.echo("== Funding by office, 2021 (grants funding --by office --year 2021)")
    emit_rows(reports.funding(engine, by="office", year=2021), "table")
    click.echo("\n== Funding by year, all schemes (grants funding --by year)")
    emit_rows(reports.funding(engine, by="year"), "table")
    per_year, violations = reports.winddown(engine, today())
    click.echo("\n== Transitional wind-down 2021-2024 (grants winddown)")
    emit_rows(per_year, "table")
    click.echo(f"violations: {len(violations)}")
    emit_rows(violations, "table", ["ref", "office", "kommunenummer", "status", "last_funded", "problem"])
    click.echo("\n== Where funding ends (grants expiry), positions per year and scheme")
    ends: dict[tuple[int, str], int] = {}
    for row in reports.expiry(engine):
        ends[(row["ends"], row["scheme"])] = ends.get((row["ends"], row["scheme"]), 0) + 1
    emit_rows([{"ends": y, "scheme": s, "positions": n} for (y, s), n in sorted(ends.items())], "table")
    click.echo(f"\nExplore it: GRANTS_DB={shown} grants compliance --year 2023")
