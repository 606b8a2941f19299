"""Administration: create a ledger, users and roles, budget frames, batch import, read models."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import click

from grants.cli.completion import complete_office
from grants.cli.main import echo_error, option_names
from grants.cli.output import FORMATS, emit_rows, kroner, safe
from grants.domain.i18n import N_, _
from grants.domain.roles import ROLES

USER_COLUMNS = ["name", "role", "office"]
STATUS_COLUMNS = ["projection", "position", "head", "behind"]
DIFFERENCE_COLUMNS = ["table", "key", "column", "in_table", "from_log"]


@click.command("init", short_help="Create a ledger; you become its first admin.")
@click.pass_context
def init_cmd(ctx: click.Context) -> None:
    """Create a ledger (an SQLite file, or the tables in a PostgreSQL database) and make the
    current actor (GRANTS_ACTOR) its first admin. The only command that creates a ledger.

    \b
    Example:
      GRANTS_ACTOR=admin.name grants --db sqlite:///office.sqlite init
    """
    from grants.ledger.application import GrantsLedger
    from grants.ledger.config import redacted_url

    ledger = ctx.obj.adopt(GrantsLedger.create(ctx.obj.url))
    admin = ledger.initialize()
    ctx.obj.runner()  # the read-model tables, created once here, by the ledger's owner
    click.echo(_("initialised {url}; first admin {name}").format(url=safe(redacted_url(ledger.url)),
                                                                name=repr(safe(admin.name))))


@click.group("users", short_help="Users and roles (admin).")
def users_group() -> None:
    """Users and their roles: caseworkers record decisions for their office, auditors read
    everything, admins manage users and frames and may record for every office.

    \b
    Example:
      grants users add kari.nordmann --role caseworker --office innlandet
    """


@users_group.command("add", short_help="Add a user, or change a user's role and office.")
@click.argument("name", metavar="NAME")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The user's role.")
@click.option("--office", metavar="OFFICE", shell_complete=complete_office,
              help="The caseworker's office (id or name, e.g. innlandet); required for caseworkers.")
@click.pass_context
def users_add_cmd(ctx: click.Context, name: str, role: str, office: str | None) -> None:
    """Add a user, or change an existing user's role and office.

    \b
    Example:
      grants users add kari.nordmann --role caseworker --office innlandet
    """
    from grants.domain.commands import AddUser, parse
    from grants.domain.kommuner import office_id

    option_names.set({"office": "--office"})  # `role:` errors speak of the actor's role
    cmd = parse(AddUser, **{k: v for k, v in dict(name=name, role=role, office=office).items() if v is not None})
    user = ctx.obj.ledger().add_user(cmd.name, cmd.role, office_id(cmd.office) if cmd.office else None)
    done = (_("user {name}: {role} at {office}, version {version}") if user.office
            else _("user {name}: {role}, version {version}"))
    click.echo(done.format(name=repr(safe(user.name)), role=_(user.role), office=user.office, version=user.version))


@users_group.command("list", short_help="Every user with role and office.")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def users_list_cmd(ctx: click.Context, fmt: str) -> None:
    """Every user of the ledger with role and office.

    \b
    Example:
      grants users list --format csv
    """
    rows = [{"name": u.name, "role": u.role, "office": u.office} for u in ctx.obj.ledger().users()]
    emit_rows(rows, fmt, USER_COLUMNS)


@click.group("frame", short_help="Set budget frames per office, scheme and year (admin).")
def frame_group() -> None:
    """Budget frames per office, scheme and year (admin); grants frames shows them.

    \b
    Example:
      grants frame set --office innlandet --scheme 765.62 --year 2021 --amount 32000000
    """


def _frame_set() -> click.Command:
    from grants.cli.options import ModelCommand, given, option_names_of
    from grants.domain.commands import SetFrame, parse
    from grants.domain.kommuner import office_id

    @click.pass_context
    def run(ctx: click.Context, **values: object) -> None:
        option_names.set(option_names_of(SetFrame))
        cmd = parse(SetFrame, **given(values))
        cmd = replace(cmd, office=office_id(cmd.office))
        frame = ctx.obj.ledger().set_frame(cmd)
        click.echo(_("frame {office} {scheme} {year}: {amount} NOK, {committed} granted, version {version}").format(
            office=frame.office, scheme=frame.scheme, year=frame.year, amount=kroner(frame.amount),
            committed=kroner(frame.committed), version=frame.version))

    return ModelCommand("set", SetFrame, callback=run)


frame_group.add_command(_frame_set())


@click.group("appropriation", short_help="Set national appropriations per scheme and year (admin).")
def appropriation_group() -> None:
    """National appropriations (bevilgning) per scheme and year, above the office frames (admin);
    grants frames shows them beside the frames.

    \b
    Example:
      grants appropriation set --scheme 765.62 --year 2021 --amount 455000000 --reason "Prop. 1 S (2020-2021)"
    """


def _appropriation_set() -> click.Command:
    from grants.cli.options import ModelCommand, given, option_names_of
    from grants.domain.commands import SetAppropriation, parse

    @click.pass_context
    def run(ctx: click.Context, **values: object) -> None:
        option_names.set(option_names_of(SetAppropriation))
        cmd = parse(SetAppropriation, **given(values))
        appropriation = ctx.obj.ledger().set_appropriation(cmd)
        click.echo(_("appropriation {scheme} {year}: {amount} NOK, version {version}").format(
            scheme=appropriation.scheme, year=appropriation.year, amount=kroner(appropriation.amount),
            version=appropriation.version))

    return ModelCommand("set", SetAppropriation, callback=run)


appropriation_group.add_command(_appropriation_set())


@click.command("import", short_help="Run a file of caseworker commands, all or nothing.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.pass_context
def import_cmd(ctx: click.Context, file: Path) -> None:
    """Run a file of caseworker commands, all or nothing.

    CSV with a `command` column and one column per option (separated by `,`, or by `;` with
    decimal commas as Excel in Norwegian saves it, or by tabs; UTF-8 or Windows-1252), JSON
    Lines of objects with the same keys, or an Excel workbook (.xlsx, as `grants export
    --format xlsx` writes it). The whole file is checked in one pass: every bad line is reported
    with the number of the line it starts on (format, rule and permission errors together) and
    nothing is written unless every line is good. The exit code is the most specific of the
    problems. While a large file (10,000 lines or more) is written, other writers wait for it.

    \b
    Example:
      grants import decisions-2024.csv
    """
    from grants.cli.progress import progress
    from grants.ledger.batch import import_file

    ledger = ctx.obj.ledger()
    with progress(ctx) as report_progress:
        outcome = import_file(ledger, file, report_progress)
    if outcome.problems:
        for _line, error in outcome.problems:
            echo_error(str(error))
        skipped = (_("; {count} later line(s) of the same positions not checked").format(
            count=len(outcome.not_checked)) if outcome.not_checked else "")
        echo_error(_("{count} bad line(s){skipped}; nothing was written").format(count=len(outcome.problems),
                                                                                 skipped=skipped))
        ctx.exit(outcome.exit_code)
    click.echo(_("imported {lines} commands, {written} events").format(lines=outcome.lines, written=outcome.written))


@click.group("projections", short_help="Read models: status, check, rebuild, follow.")
def projections_group() -> None:
    """The read models behind the reports: their status against the head of the log, a check
    against the log, a rebuild from the whole log, and following the log for read-only logins.

    \b
    Example:
      grants projections status
    """


@projections_group.command("status", short_help="Each read model against the head of the log.")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def projections_status_cmd(ctx: click.Context, fmt: str) -> None:
    """Each projection's position against the head of the log (no catch-up); exit 7 if ahead of it.

    \b
    Example:
      grants projections status --format json
    """
    from grants.domain.errors import VerificationFailed
    from grants.projections.check import status_rows

    rows = status_rows(ctx.obj.runner())
    emit_rows(rows, fmt, STATUS_COLUMNS)
    ahead = [row for row in rows if row["position"] > row["head"]]
    if ahead:
        raise VerificationFailed("projections: " + _(
            "{names} ahead of the log's head {head}: the read models were edited or the log was cut").format(
            names=", ".join(repr(r["projection"]) for r in ahead), head=ahead[0]["head"]))


@projections_group.command("check", short_help="Compare the read models with the log (exit 7).")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def projections_check_cmd(ctx: click.Context, fmt: str) -> None:
    """Fold the log again and compare with the read models; exit 7 naming every differing row.

    \b
    Example:
      grants projections check
    """
    from grants.domain.errors import VerificationFailed
    from grants.projections.check import check

    differences = check(ctx.obj.runner())
    if differences or fmt != "table":
        emit_rows([d.cells() for d in differences], fmt, DIFFERENCE_COLUMNS)
    if differences:
        more = (_(" (and {count} more, listed above)").format(count=len(differences) - 1)
                if len(differences) > 1 else "")
        raise VerificationFailed(f"projections: {differences[0]}{more}")
    if fmt == "table":
        click.echo(_("read models match the log"))


@projections_group.command("follow", short_help="Keep the read models current until Ctrl-C.")
@click.option("--interval", type=click.FloatRange(0, 3600), default=5.0, show_default=True, metavar="SECONDS",
              help="Seconds between catch-ups.")
@click.option("--rounds", type=click.IntRange(0), default=0, metavar="N",
              help="Stop after N catch-ups (0: run until interrupted with Ctrl-C).")
@click.pass_context
def projections_follow_cmd(ctx: click.Context, interval: float, rounds: int) -> None:
    """Keep the read models current (for read-only reporting logins on PostgreSQL); stop it
    with Ctrl-C (exit 130).

    \b
    Example:
      grants projections follow --interval 10
    """
    runner = ctx.obj.runner()
    done = 0
    while rounds == 0 or done < rounds:
        folded = runner.catch_up()
        if folded:
            click.echo(_("folded {count} events up to {head}").format(count=folded, head=ctx.obj.ledger().head()))
        done += 1
        if rounds == 0 or done < rounds:
            time.sleep(interval)


@projections_group.command("rebuild", short_help="Fold the whole log into the read models again (admin).")
@click.pass_context
def projections_rebuild_cmd(ctx: click.Context) -> None:
    """Empty the read models and fold the whole log again (admin).

    \b
    Example:
      grants projections rebuild
    """
    from grants.cli.progress import progress

    ctx.obj.ledger().require_admin(N_("rebuilding projections"))
    with progress(ctx) as report_progress:
        folded = ctx.obj.runner().rebuild(progress=report_progress)
    click.echo(_("rebuilt: {count} events folded up to {head}").format(count=folded, head=ctx.obj.ledger().head()))


COMMANDS = {c.name: c for c in (init_cmd, users_group, frame_group, appropriation_group, import_cmd,
                                 projections_group)}
