"""Reporting commands: each first catches the read models up to the head of the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from grants.cli.output import FORMATS, YEAR, emit_rows, to_json
from grants.cli.parsing import clean_filters, parse_day


def filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--as-of", metavar="YYYY-MM-DD[THH:MM]",
                      help="Replay the log as recorded up to this UTC date or date-time.")(fn)
    fn = click.option("--scheme", metavar="SCHEME", help="Only this scheme.")(fn)
    fn = click.option("--kommune", metavar="KNR", help="Only this kommunenummer.")(fn)
    fn = click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")(fn)
    return fn


@click.command("funding")
@click.option("--by", type=click.Choice(["position", "kommune", "office", "scheme", "year"]), default="office")
@click.option("--year", type=YEAR)
@filters
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def funding_cmd(ctx, by, year, office, kommune, scheme, as_of, fmt):
    """Granted amounts after reductions, reported spending and sums to reclaim."""
    from grants.projections import reports

    rows = reports.funding(ctx.obj.current_views(as_of), by=by, year=year, **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt)


@click.command("expiry")
@click.option("--year", type=YEAR, help="Only positions whose funding ends in this year.")
@filters
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def expiry_cmd(ctx, year, office, kommune, scheme, as_of, fmt):
    """First and last fundable year per position under the four-year rule."""
    from grants.projections import reports

    emit_rows(reports.expiry(ctx.obj.current_views(as_of), year=year, **clean_filters(office, kommune, scheme)), fmt)


@click.command("winddown")
@click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")
@click.option("--kommune", metavar="KNR", help="Only this kommunenummer.")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Judge 'still active after 2024' as of this date (default today).")
@click.option("--as-of", metavar="YYYY-MM-DD[THH:MM]", help="Replay the log as recorded up to this UTC date or date-time.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def winddown_cmd(ctx, office, kommune, on, as_of, fmt):
    """The transitional scheme per year 2021-2024 and every position that breaks its wind-down."""
    from grants.projections import reports

    per_year, violations = reports.winddown(ctx.obj.current_views(as_of), parse_day(on, ctx.obj.ledger().today()),
                                            **clean_filters(office, kommune, None))
    if fmt == "json":
        click.echo(to_json({"per_year": per_year, "violations": violations}))
        return
    emit_rows(per_year, fmt)
    click.echo("")
    if fmt == "table":
        click.echo(f"violations: {len(violations)}")
    emit_rows(violations, fmt, ["ref", "office", "kommunenummer", "status", "last_funded", "problem"])


@click.command("compliance")
@click.option("--year", type=YEAR)
@filters
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Judge deadlines as of this date (default today).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def compliance_cmd(ctx, year, office, kommune, scheme, on, as_of, fmt):
    """Missing or late reports, undocumented self-financing, money to reclaim, missing auditor attestation."""
    from grants.projections import reports

    rows = reports.compliance(ctx.obj.current_views(as_of), parse_day(on, ctx.obj.ledger().today()), year=year,
                              **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt, ["ref", "year", "office", "kommunenummer", "scheme", "issue", "detail"])


@click.command("frames")
@click.option("--year", type=YEAR)
@click.option("--office", metavar="OFFICE", help="Only this office (id or full name).")
@click.option("--scheme", metavar="SCHEME", help="Only this scheme.")
@click.option("--as-of", metavar="YYYY-MM-DD[THH:MM]", help="Replay the log as recorded up to this UTC date or date-time.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def frames_cmd(ctx, year, office, scheme, as_of, fmt):
    """Budget frames per office, scheme and year against the sums granted; under a national
    appropriation (grants appropriation set) a row for all offices: the frames' sum against it."""
    from grants.projections import reports

    rows = reports.frames(ctx.obj.current_views(as_of), year=year, **clean_filters(office, None, scheme))
    emit_rows(rows, fmt, ["year", "office", "scheme", "frame", "granted", "left", "over_frame_grants", "appropriation",
                          "unallocated", "set_by"])


COMMANDS = {c.name: c for c in (funding_cmd, expiry_cmd, winddown_cmd, compliance_cmd, frames_cmd)}
