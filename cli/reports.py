"""Reporting commands: each first catches the read models up to the head of the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from grants.cli.completion import complete_kommune, complete_office, complete_scheme
from grants.cli.output import FORMATS, YEAR, emit_rows, to_json
from grants.cli.parsing import clean_filters, parse_day

AS_OF_HELP = ("Replay the log as the ledger had recorded it at this moment (recorded time, UTC; a bare date "
              "means the end of that day), instead of the current read models.")


def filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--as-of", metavar="YYYY-MM-DD[THH:MM:SS]", help=AS_OF_HELP)(fn)
    fn = click.option("--scheme", metavar="SCHEME", shell_complete=complete_scheme, help="Only this scheme.")(fn)
    fn = click.option("--kommune", metavar="KOMMUNE", shell_complete=complete_kommune,
                      help="Only this kommune (number or name).")(fn)
    fn = click.option("--office", metavar="OFFICE", shell_complete=complete_office,
                      help="Only this office (id or name, e.g. innlandet).")(fn)
    return fn


FUNDING_COLUMNS = {
    "position": ["ref", "kommunenummer", "office", "scheme", "year", "ladder_year", "fte", "amount", "spent",
                 "to_reclaim", "rule_amount", "entitlement", "carried_in", "carried_out", "own_money", "deviation"],
    "office": ["year", "office", "positions", "fte", "amount", "spent", "to_reclaim"],
    "kommune": ["year", "kommunenummer", "office", "positions", "fte", "amount", "spent", "to_reclaim", "kommune"],
    "scheme": ["year", "scheme", "positions", "fte", "amount", "spent", "to_reclaim"],
    "year": ["year", "positions", "fte", "amount", "spent", "to_reclaim"],
}
EXPIRY_COLUMNS = ["ref", "office", "kommunenummer", "scheme", "status", "first_year", "last_funded", "last_fundable",
                  "years_left", "ends"]
WINDDOWN_COLUMNS = ["year", "positions", "fte", "amount"]
VIOLATION_COLUMNS = ["ref", "office", "kommunenummer", "status", "last_funded", "problem"]
COMPLIANCE_COLUMNS = ["ref", "year", "office", "kommunenummer", "scheme", "issue", "detail"]
FRAME_COLUMNS = ["year", "office", "scheme", "frame", "granted", "left", "over_frame_grants", "appropriation",
                 "unallocated", "set_by"]


@click.command("funding", short_help="Granted, spent and to reclaim, grouped.")
@click.option("--by", type=click.Choice(list(FUNDING_COLUMNS)), default="office", show_default=True,
              help="One row per position, or a sum per kommune, office, scheme or year.")
@click.option("--year", type=YEAR, help="Only this funded year.")
@filters
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def funding_cmd(ctx, by, year, office, kommune, scheme, as_of, fmt):
    """Granted amounts after reductions, reported spending and sums to reclaim, per year.

    \b
    Example:
      grants funding --by kommune --year 2023 --office innlandet
    """
    from grants.projections import reports

    rows = reports.funding(ctx.obj.current_views(as_of), by=by, year=year, **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt, FUNDING_COLUMNS[by])


@click.command("expiry", short_help="Where each position's four funded years end.")
@click.option("--year", type=YEAR, help="Only positions whose funding ends in this year.")
@filters
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def expiry_cmd(ctx, year, office, kommune, scheme, as_of, fmt):
    """First and last fundable year per position under the four-year rule.

    \b
    Example:
      grants expiry --year 2025
    """
    from grants.projections import reports

    emit_rows(reports.expiry(ctx.obj.current_views(as_of), year=year, **clean_filters(office, kommune, scheme)),
              fmt, EXPIRY_COLUMNS)


@click.command("winddown", short_help="The transitional scheme 2021-2024 and its breaches.")
@click.option("--office", metavar="OFFICE", shell_complete=complete_office,
              help="Only this office (id or name, e.g. innlandet).")
@click.option("--kommune", metavar="KOMMUNE", shell_complete=complete_kommune,
              help="Only this kommune (number or name).")
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="Judge 'still active after 2024' as of this date (default today).")
@click.option("--violations", is_flag=True,
              help="Only the positions that break the wind-down (CSV and JSON: that one table).")
@click.option("--as-of", metavar="YYYY-MM-DD[THH:MM:SS]", help=AS_OF_HELP)
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def winddown_cmd(ctx, office, kommune, on, violations, as_of, fmt):
    """The transitional scheme per year 2021-2024 and every position that breaks its wind-down.

    A CSV stream holds one table: the years, or with --violations the positions breaking it.

    \b
    Example:
      grants winddown --office vestland
      grants winddown --violations --format csv
    """
    from grants.projections import reports

    per_year, broken = reports.winddown(ctx.obj.current_views(as_of), parse_day(on, ctx.obj.ledger().today()),
                                        **clean_filters(office, kommune, None))
    if violations:
        emit_rows(broken, fmt, VIOLATION_COLUMNS)
    elif fmt == "json":
        click.echo(to_json({"per_year": per_year, "violations": broken}))
    elif fmt == "csv":
        emit_rows(per_year, fmt, WINDDOWN_COLUMNS)
    else:
        emit_rows(per_year, fmt, WINDDOWN_COLUMNS)
        click.echo(f"\nviolations: {len(broken)}")
        emit_rows(broken, fmt, VIOLATION_COLUMNS)


@click.command("compliance", short_help="Missing or late reports, money to reclaim.")
@click.option("--year", type=YEAR, help="Only this funded year.")
@filters
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Judge deadlines as of this date (default today).")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def compliance_cmd(ctx, year, office, kommune, scheme, on, as_of, fmt):
    """Missing or late reports, undocumented self-financing, money to reclaim, missing auditor attestation.

    \b
    Example:
      grants compliance --year 2023 --office rogaland
    """
    from grants.projections import reports

    rows = reports.compliance(ctx.obj.current_views(as_of), parse_day(on, ctx.obj.ledger().today()), year=year,
                              **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt, COMPLIANCE_COLUMNS)


@click.command("frames", short_help="Budget frames against the sums granted.")
@click.option("--year", type=YEAR, help="Only this budget year.")
@click.option("--office", metavar="OFFICE", shell_complete=complete_office,
              help="Only this office (id or name, e.g. innlandet).")
@click.option("--scheme", metavar="SCHEME", shell_complete=complete_scheme, help="Only this scheme.")
@click.option("--as-of", metavar="YYYY-MM-DD[THH:MM:SS]", help=AS_OF_HELP)
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def frames_cmd(ctx, year, office, scheme, as_of, fmt):
    """Budget frames per office, scheme and year against the sums granted; under a national
    appropriation (grants appropriation set) a row for all offices: the frames' sum against it.

    \b
    Example:
      grants frames --year 2021
    """
    from grants.projections import reports

    rows = reports.frames(ctx.obj.current_views(as_of), year=year, **clean_filters(office, None, scheme))
    emit_rows(rows, fmt, FRAME_COLUMNS)


COMMANDS = {c.name: c for c in (funding_cmd, expiry_cmd, winddown_cmd, compliance_cmd, frames_cmd)}
