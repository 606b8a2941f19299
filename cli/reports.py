"""Reporting commands. Each first catches the read models up to the head of the log (a login that
may not write reads them as they are, with a warning), or, with --known-at / --in-force, replays
the log under that cut into a private in-memory database (grants.projections.catch_up.open_views)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from grants.cli.axes import time_axes, time_cut
from grants.cli.completion import complete_kommune, complete_office, complete_scheme
from grants.cli.output import YEAR
from grants.cli.overview import overview_cmd
from grants.cli.parsing import clean_filters, parse_day
from grants.cli.tables import output_options, write_tables
from grants.domain.i18n import N_, _
from grants.ledger.gc_pause import collector_paused

# The columns of each report, in order: they head a CSV even when it has no rows.
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


def office_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--office", metavar="OFFICE", shell_complete=complete_office,
                        help="Only this office (id or name, e.g. innlandet).")(fn)


def kommune_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--kommune", metavar="KOMMUNE", shell_complete=complete_kommune,
                        help="Only this kommune (number or name).")(fn)


def scheme_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--scheme", metavar="SCHEME", shell_complete=complete_scheme, help="Only this scheme.")(fn)


def filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    return office_option(kommune_option(scheme_option(fn)))


def read_models(ctx: click.Context, known_at: str | None, in_force: str | None, text_sql: bool = False) -> Any:
    """The read models under the time cut of the options; warns when they lag the log. For a
    report whose SQL is text (`text_sql`), current ones are read without SQLAlchemy."""
    from grants.projections.catch_up import open_current, open_views

    found = (open_current if text_sql else open_views)(ctx.obj.ledger(), time_cut(known_at, in_force))
    if found.behind:
        click.echo(_("Warning: the read models are {behind} events behind the log and this login cannot catch "
                     "them up (run grants projections follow under the application role)").format(behind=found.behind),
                   err=True)
    return found


@contextmanager
def reporting(ctx: click.Context, known_at: str | None, in_force: str | None) -> Iterator[tuple[Any, Any]]:
    """The report queries (grants.projections.reports) and the read models to run them on
    (`read_models`), with the cyclic garbage collector paused until the block has made and
    written its rows (see grants.ledger.gc_pause): importing SQLAlchemy and a long report's rows
    (100,000 in `expiry`) make objects that live until the command ends."""
    with collector_paused():
        from grants.projections import reports

        yield reports, read_models(ctx, known_at, in_force)


def judged_on(ctx: click.Context, on: str | None, found: Any) -> Any:
    """--on, else the day the time cut asks about, else today."""
    return parse_day(on, found.cut.judged_on(ctx.obj.ledger().today()))


@click.command("funding", short_help="Granted, spent and to reclaim, grouped.")
@click.option("--by", type=click.Choice(list(FUNDING_COLUMNS)), default="office", show_default=True,
              help="One row per position, or a sum per kommune, office, scheme or year.")
@click.option("--year", type=YEAR, help="Only this funded year.")
@filters
@time_axes
@output_options
@click.pass_context
def funding_cmd(ctx, by, year, office, kommune, scheme, known_at, in_force, fmt, output):
    """Granted amounts after reductions, reported spending and sums to reclaim, per year.

    \b
    Example:
      grants funding --by kommune --year 2023 --office innlandet
    """
    with reporting(ctx, known_at, in_force) as (reports, found):
        rows = reports.funding(found.engine, by=by, year=year, **clean_filters(office, kommune, scheme))
        write_tables([("funding", rows, FUNDING_COLUMNS[by])], fmt, output)


@click.command("expiry", short_help="Where each position's four funded years end.")
@click.option("--year", type=YEAR, help="Only positions whose funding ends in this year.")
@filters
@time_axes
@output_options
@click.pass_context
def expiry_cmd(ctx, year, office, kommune, scheme, known_at, in_force, fmt, output):
    """First and last fundable year per position under the four-year rule.

    \b
    Example:
      grants expiry --year 2025
    """
    with collector_paused():  # as `reporting` pauses it; no SQLAlchemy on current read models (projections.expiry)
        from grants.projections.expiry import expiry_columns

        found = read_models(ctx, known_at, in_force, text_sql=True)
        rows = expiry_columns(found.select_parts, found.dialect, year=year, **clean_filters(office, kommune, scheme))
        write_tables([("expiry", rows, EXPIRY_COLUMNS)], fmt, output)


@click.command("winddown", short_help="The transitional scheme 2021-2024 and its breaches.")
@office_option
@kommune_option
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="Judge 'still active after 2024' as of this date (default: the --in-force or --known-at "
                   "day, else today).")
@click.option("--violations", "only_violations", is_flag=True,
              help="Only the positions that break the wind-down (as CSV: the table of them).")
@time_axes
@output_options
@click.pass_context
def winddown_cmd(ctx, office, kommune, on, only_violations, known_at, in_force, fmt, output):
    """The transitional scheme per year 2021-2024 and every position that breaks its wind-down.

    A CSV stream holds one table: the years, or with --violations the positions breaking it.

    \b
    Example:
      grants winddown --office vestland
      grants winddown --violations --format csv
    """
    with reporting(ctx, known_at, in_force) as (reports, found):
        per_year, violations = reports.winddown(found.engine, judged_on(ctx, on, found),
                                                **clean_filters(office, kommune, None))
        if only_violations:
            write_tables([(N_("violations"), violations, VIOLATION_COLUMNS)], fmt, output)
            return
        write_tables([(N_("per year"), per_year, WINDDOWN_COLUMNS), (N_("violations"), violations, VIOLATION_COLUMNS)],
                     fmt, output, json_shape=lambda tables: {"per_year": tables[0], "violations": tables[1]})


@click.command("compliance", short_help="Missing or late reports, money to reclaim.")
@click.option("--year", type=YEAR, help="Only this funded year.")
@filters
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="Judge deadlines as of this date (default: the --in-force or --known-at day, else today).")
@time_axes
@output_options
@click.pass_context
def compliance_cmd(ctx, year, office, kommune, scheme, on, known_at, in_force, fmt, output):
    """Missing or late reports, undocumented self-financing, money to reclaim, missing auditor attestation.

    \b
    Example:
      grants compliance --year 2023 --office rogaland
    """
    with reporting(ctx, known_at, in_force) as (reports, found):
        rows = reports.compliance(found.engine, judged_on(ctx, on, found), year=year,
                                  **clean_filters(office, kommune, scheme))
        write_tables([("compliance", rows, COMPLIANCE_COLUMNS)], fmt, output)


@click.command("frames", short_help="Budget frames against the sums granted.")
@click.option("--year", type=YEAR, help="Only this budget year.")
@office_option
@scheme_option
@time_axes
@output_options
@click.pass_context
def frames_cmd(ctx, year, office, scheme, known_at, in_force, fmt, output):
    """Budget frames per office, scheme and year against the sums granted; under a national
    appropriation (grants appropriation set) a row for all offices: the frames' sum against it.

    \b
    Example:
      grants frames --year 2021
    """
    with reporting(ctx, known_at, in_force) as (reports, found):
        rows = reports.frames(found.engine, year=year, **clean_filters(office, None, scheme))
        write_tables([("frames", rows, FRAME_COLUMNS)], fmt, output)


COMMANDS = {c.name: c for c in (funding_cmd, expiry_cmd, winddown_cmd, compliance_cmd, frames_cmd, overview_cmd)}
