"""Reporting commands: each first catches its projections up to the head of the log."""

from datetime import date

import click

from grants.cli.main import cli, FORMATS
from grants.cli.output import emit_rows, to_json
from grants.domain.errors import InvalidInput
from grants.domain.kommuner import find, office_id
from grants.domain.position import today


def filters(fn):
    fn = click.option("--as-of", help="Replay the log as recorded up to this UTC date or date-time.")(fn)
    fn = click.option("--scheme", help="Only this scheme.")(fn)
    fn = click.option("--kommune", help="Only this kommunenummer.")(fn)
    fn = click.option("--office", help="Only this office (id or full name).")(fn)
    return fn


def clean_filters(office, kommune, scheme) -> dict:
    from grants.domain import rules

    if scheme is not None:
        rules.scheme(scheme)
    if kommune is not None and find(kommune) is None:
        raise InvalidInput(f"kommune: unknown kommunenummer {kommune!r}")
    return {"office": office_id(office) if office is not None else None, "kommune": kommune, "scheme": scheme}


def on_date(raw: str | None) -> date:
    if raw is None:
        return today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"on: must be an ISO date such as 2025-03-01, got {raw!r}") from None


@cli.command("funding")
@click.option("--by", type=click.Choice(["position", "kommune", "office", "scheme", "year"]), default="office")
@click.option("--year", type=click.IntRange(2000, 2100))
@filters
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def funding_cmd(ctx, by, year, office, kommune, scheme, as_of, fmt):
    """Granted amounts after reductions, reported spending and sums to reclaim."""
    from grants.projections import reports

    rows = reports.funding(ctx.obj.current_views(as_of), by=by, year=year, **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt)


@cli.command("expiry")
@click.option("--year", type=click.IntRange(2000, 2100), help="Only positions whose funding ends in this year.")
@filters
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def expiry_cmd(ctx, year, office, kommune, scheme, as_of, fmt):
    """First and last fundable year per position under the four-year rule."""
    from grants.projections import reports

    emit_rows(reports.expiry(ctx.obj.current_views(as_of), year=year, **clean_filters(office, kommune, scheme)), fmt)


@cli.command("winddown")
@click.option("--office")
@click.option("--kommune")
@click.option("--on", "on", help="Judge 'still active after 2024' as of this date (default today).")
@click.option("--as-of", help="Replay the log as recorded up to this UTC date or date-time.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def winddown_cmd(ctx, office, kommune, on, as_of, fmt):
    """The transitional scheme per year 2021-2024 and every position that breaks its wind-down."""
    from grants.projections import reports

    per_year, violations = reports.winddown(ctx.obj.current_views(as_of), on_date(on),
                                            **clean_filters(office, kommune, None))
    if fmt == "json":
        click.echo(to_json({"per_year": per_year, "violations": violations}))
        return
    emit_rows(per_year, fmt)
    click.echo("")
    if fmt == "table":
        click.echo(f"violations: {len(violations)}")
    emit_rows(violations, fmt, ["ref", "office", "kommunenummer", "status", "last_funded", "problem"])


@cli.command("compliance")
@click.option("--year", type=click.IntRange(2000, 2100))
@filters
@click.option("--on", "on", help="Judge deadlines as of this date (default today).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def compliance_cmd(ctx, year, office, kommune, scheme, on, as_of, fmt):
    """Missing or late reports, undocumented self-financing, money to reclaim, missing auditor attestation."""
    from grants.projections import reports

    rows = reports.compliance(ctx.obj.current_views(as_of), on_date(on), year=year,
                              **clean_filters(office, kommune, scheme))
    emit_rows(rows, fmt, ["ref", "year", "office", "kommunenummer", "scheme", "issue", "detail"])


@cli.command("frames")
@click.option("--year", type=click.IntRange(2000, 2100))
@click.option("--office")
@click.option("--scheme")
@click.option("--as-of", help="Replay the log as recorded up to this UTC date or date-time.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def frames_cmd(ctx, year, office, scheme, as_of, fmt):
    """Budget frames per office, scheme and year against the sums granted."""
    from grants.projections import reports

    rows = reports.frames(ctx.obj.current_views(as_of), year=year, **clean_filters(office, None, scheme))
    emit_rows(rows, fmt, ["year", "office", "scheme", "frame", "granted", "left", "over_frame_grants", "set_by"])


@cli.group("frame")
def frame_group():
    """Record budget frames (admin)."""


@frame_group.command("set")
@click.option("--office", required=True)
@click.option("--scheme", required=True)
@click.option("--year", required=True)
@click.option("--amount", required=True, help="Whole kroner.")
@click.option("--reason")
@click.pass_context
def frame_set_cmd(ctx, office, scheme, year, amount, reason):
    """Set or revise the budget frame of an office for a scheme and year."""
    from grants.domain import commands as c
    from grants.domain import rules
    from grants.projections import reports

    values = {k: v for k, v in dict(office=office_id(office), scheme=scheme, year=year, amount=amount,
                                    reason=reason).items() if v is not None}
    cmd = c.parse(c.SetFrame, **values)
    rules.scheme(cmd.scheme)
    ctx.obj.ledger().require_admin("setting budget frames")
    engine = ctx.obj.current_views()
    granted = sum(r["amount"] for r in reports.funding(engine, by="office", year=cmd.year,
                                                        office=cmd.office, scheme=cmd.scheme))
    frame = ctx.obj.ledger().set_frame(cmd, committed=granted)
    click.echo(f"frame {frame.office} {frame.scheme} {frame.year}: {frame.amount} NOK, "
               f"{frame.committed} granted, version {frame.version}")


@cli.group("projections")
def projections_group():
    """Read models: status against the head of the log, check against the log, rebuild from zero."""


@projections_group.command("status")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def projections_status_cmd(ctx, fmt):
    """Each projection's position against the head of the log (no catch-up); exit 7 if ahead of it."""
    from grants.domain.errors import VerificationFailed
    from grants.projections.check import status_rows

    rows = status_rows(ctx.obj.runner())
    emit_rows(rows, fmt)
    ahead = [row for row in rows if row["position"] > row["head"]]
    if ahead:
        raise VerificationFailed(f"projections: {', '.join(repr(r['projection']) for r in ahead)} ahead of the log's "
                                 f"head {ahead[0]['head']}: the read models were edited or the log was cut")


@projections_group.command("check")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def projections_check_cmd(ctx, fmt):
    """Fold the log again and compare with the read models; exit 7 naming every differing row."""
    from grants.domain.errors import VerificationFailed
    from grants.projections.check import check

    differences = check(ctx.obj.runner())
    if differences or fmt != "table":
        emit_rows([d.cells() for d in differences], fmt, ["table", "key", "column", "in_table", "from_log"])
    if differences:
        more = f" (and {len(differences) - 1} more, listed above)" if len(differences) > 1 else ""
        raise VerificationFailed(f"projections: {differences[0]}{more}")
    if fmt == "table":
        click.echo("read models match the log")


@projections_group.command("follow")
@click.option("--interval", type=click.FloatRange(0, 3600), default=5.0, show_default=True, help="Seconds between catch-ups.")
@click.option("--rounds", type=click.IntRange(0), default=0, help="Stop after N catch-ups (0: run until interrupted).")
@click.pass_context
def projections_follow_cmd(ctx, interval, rounds):
    """Keep the read models current (for read-only reporting logins on PostgreSQL)."""
    import time

    runner = ctx.obj.runner()
    done = 0
    while rounds == 0 or done < rounds:
        folded = runner.catch_up()
        if folded:
            click.echo(f"folded {folded} events up to {ctx.obj.ledger().head()}")
        done += 1
        if rounds == 0 or done < rounds:
            time.sleep(interval)


@projections_group.command("rebuild")
@click.pass_context
def projections_rebuild_cmd(ctx):
    """Empty the read models and fold the whole log again."""
    ctx.obj.ledger().require_admin("rebuilding projections")
    folded = ctx.obj.runner().rebuild()
    click.echo(f"rebuilt: {folded} events folded up to {ctx.obj.ledger().head()}")


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=__import__("pathlib").Path))
@click.pass_context
def import_cmd(ctx, file):
    """Run a file of write commands (CSV with a `command` column, or JSON Lines), all or nothing."""
    from grants.cli.main import echo_error
    from grants.ledger.batch import parse_file

    commands, errors = parse_file(file)
    if errors:
        for message in errors:
            echo_error(message)
        echo_error(f"{len(errors)} bad line(s); nothing was written")
        ctx.exit(2)
    written, refused = ctx.obj.ledger().execute_all(commands)
    if refused:
        for line, error in refused:
            echo_error(f"line {line}: {error}")
        echo_error(f"{len(refused)} line(s) refused; nothing was written")
        ctx.exit(max(error.exit_code for _, error in refused))
    click.echo(f"imported {len(commands)} commands, {written} events")
