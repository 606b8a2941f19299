"""Reporting commands. Each first catches the read models up to the head of the log (a login that
may not write reads them as they are, with a warning), or, with --known-at / --in-force, replays
the log under that cut into a private in-memory database (grants.projections.api.open_views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from grants.cli.axes import time_axes, time_cut
from grants.cli.output import YEAR
from grants.cli.overview import overview_cmd
from grants.cli.parsing import clean_filters, parse_day
from grants.cli.tables import output_options, write_tables

VIOLATION_COLUMNS = ["ref", "office", "kommunenummer", "status", "last_funded", "problem"]
COMPLIANCE_COLUMNS = ["ref", "year", "office", "kommunenummer", "scheme", "issue", "detail"]
FRAME_COLUMNS = ["year", "office", "scheme", "frame", "granted", "left", "over_frame_grants", "appropriation",
                 "unallocated", "set_by"]


def filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--scheme", metavar="SCHEME", help="Only this scheme.")(fn)
    fn = click.option("--kommune", metavar="KNR", help="Only this kommunenummer.")(fn)
    fn = click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")(fn)
    return fn


def read_models(ctx: click.Context, known_at: str | None, in_force: str | None) -> Any:
    """The read models under the time cut of the options; warns when they lag the log."""
    from grants.projections.api import open_views

    found = open_views(ctx.obj.ledger(), time_cut(known_at, in_force))
    if found.behind:
        click.echo(f"Warning: the read models are {found.behind} events behind the log and this login "
                   "cannot catch them up (run grants projections follow under the application role)", err=True)
    return found


def judged_on(ctx: click.Context, on: str | None, found: Any) -> Any:
    """--on, else the day the time cut asks about, else today."""
    return parse_day(on, found.cut.judged_on(ctx.obj.ledger().today()))


@click.command("funding")
@click.option("--by", type=click.Choice(["position", "kommune", "office", "scheme", "year"]), default="office")
@click.option("--year", type=YEAR)
@filters
@time_axes
@output_options
@click.pass_context
def funding_cmd(ctx, by, year, office, kommune, scheme, known_at, in_force, fmt, output):
    """Granted amounts after reductions, reported spending and sums to reclaim."""
    from grants.projections import reports

    found = read_models(ctx, known_at, in_force)
    rows = reports.funding(found.engine, by=by, year=year, **clean_filters(office, kommune, scheme))
    write_tables([("funding", rows, None)], fmt, output)


@click.command("expiry")
@click.option("--year", type=YEAR, help="Only positions whose funding ends in this year.")
@filters
@time_axes
@output_options
@click.pass_context
def expiry_cmd(ctx, year, office, kommune, scheme, known_at, in_force, fmt, output):
    """First and last fundable year per position under the four-year rule."""
    from grants.projections import reports

    found = read_models(ctx, known_at, in_force)
    rows = reports.expiry(found.engine, year=year, **clean_filters(office, kommune, scheme))
    write_tables([("expiry", rows, None)], fmt, output)


@click.command("winddown")
@click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")
@click.option("--kommune", metavar="KNR", help="Only this kommunenummer.")
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="Judge 'still active after 2024' as of this date (default: the --in-force or --known-at "
                   "day, else today).")
@time_axes
@output_options
@click.pass_context
def winddown_cmd(ctx, office, kommune, on, known_at, in_force, fmt, output):
    """The transitional scheme per year 2021-2024 and every position that breaks its wind-down."""
    from grants.projections import reports

    found = read_models(ctx, known_at, in_force)
    per_year, violations = reports.winddown(found.engine, judged_on(ctx, on, found),
                                            **clean_filters(office, kommune, None))
    write_tables([("per year", per_year, None), ("violations", violations, VIOLATION_COLUMNS)], fmt, output,
                 json_shape=lambda tables: {"per_year": tables[0], "violations": tables[1]})


@click.command("compliance")
@click.option("--year", type=YEAR)
@filters
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="Judge deadlines as of this date (default: the --in-force or --known-at day, else today).")
@time_axes
@output_options
@click.pass_context
def compliance_cmd(ctx, year, office, kommune, scheme, on, known_at, in_force, fmt, output):
    """Missing or late reports, undocumented self-financing, money to reclaim, missing auditor attestation."""
    from grants.projections import reports

    found = read_models(ctx, known_at, in_force)
    rows = reports.compliance(found.engine, judged_on(ctx, on, found), year=year,
                              **clean_filters(office, kommune, scheme))
    write_tables([("compliance", rows, COMPLIANCE_COLUMNS)], fmt, output)


@click.command("frames")
@click.option("--year", type=YEAR)
@click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")
@click.option("--scheme", metavar="SCHEME", help="Only this scheme.")
@time_axes
@output_options
@click.pass_context
def frames_cmd(ctx, year, office, scheme, known_at, in_force, fmt, output):
    """Budget frames per office, scheme and year against the sums granted; under a national
    appropriation (grants appropriation set) a row for all offices: the frames' sum against it."""
    from grants.projections import reports

    found = read_models(ctx, known_at, in_force)
    rows = reports.frames(found.engine, year=year, **clean_filters(office, None, scheme))
    write_tables([("frames", rows, FRAME_COLUMNS)], fmt, output)


COMMANDS = {c.name: c for c in (funding_cmd, expiry_cmd, winddown_cmd, compliance_cmd, frames_cmd, overview_cmd)}
