"""Administration: create a ledger, users and roles, budget frames, batch import, read models."""

from __future__ import annotations

import time
from pathlib import Path

import click

from grants.cli.completion import complete_office
from grants.cli.main import echo_error, option_names
from grants.cli.output import FORMATS, emit_rows, kroner, safe


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

    ledger = GrantsLedger.create(ctx.obj.url)
    ctx.obj._ledger = ledger
    if not ctx.obj.actor_given:  # PostgreSQL: the database login; SQLite: the OS user
        from grants.domain.actor import current_actor

        current_actor.set(ledger.default_actor())
    admin = ledger.initialize()
    ctx.obj.runner()  # the read-model tables, created once here, by the ledger's owner
    click.echo(f"initialised {safe(redacted_url(ledger.url))}; first admin {safe(admin.name)!r}")


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
@click.option("--role", required=True, type=click.Choice(["caseworker", "auditor", "admin"]), help="The user's role.")
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
    click.echo(f"user {safe(user.name)!r}: {user.role}{' at ' + user.office if user.office else ''}, "
               f"version {user.version}")


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
    emit_rows(rows, fmt, ["name", "role", "office"])


@click.group("frame", short_help="Set budget frames per office, scheme and year (admin).")
def frame_group() -> None:
    """Budget frames per office, scheme and year (admin); grants frames shows them.

    \b
    Example:
      grants frame set --office innlandet --scheme 765.62 --year 2021 --amount 32000000
    """


def _frame_set() -> click.Command:
    from grants.cli.options import given, help_of, option_names_of, parameters_for, short_help_of
    from grants.domain.commands import SetFrame, parse
    from grants.domain.kommuner import office_id

    @click.pass_context
    def run(ctx: click.Context, **values: object) -> None:
        option_names.set(option_names_of(SetFrame))
        cmd = parse(SetFrame, **given(values))
        cmd = cmd.model_copy(update={"office": office_id(cmd.office)})
        frame = ctx.obj.ledger().set_frame(cmd)
        click.echo(f"frame {frame.office} {frame.scheme} {frame.year}: {kroner(frame.amount)} NOK, "
                   f"{kroner(frame.committed)} granted, version {frame.version}")

    return click.Command("set", callback=run, params=parameters_for(SetFrame), help=help_of(SetFrame),
                         short_help=short_help_of(SetFrame))


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
    from grants.cli.options import given, help_of, option_names_of, parameters_for, short_help_of
    from grants.domain.commands import SetAppropriation, parse

    @click.pass_context
    def run(ctx: click.Context, **values: object) -> None:
        option_names.set(option_names_of(SetAppropriation))
        cmd = parse(SetAppropriation, **given(values))
        appropriation = ctx.obj.ledger().set_appropriation(cmd)
        click.echo(f"appropriation {appropriation.scheme} {appropriation.year}: {kroner(appropriation.amount)} NOK, "
                   f"version {appropriation.version}")

    example = ("grants appropriation set --scheme 765.62 --year 2021 --amount 455000000 "
               "--reason \"Prop. 1 S (2020-2021)\"")
    return click.Command("set", callback=run, params=parameters_for(SetAppropriation),
                         help=f"{help_of(SetAppropriation)}\n\n\b\nExample:\n  {example}",
                         short_help=short_help_of(SetAppropriation))


appropriation_group.add_command(_appropriation_set())


@click.command("import", short_help="Run a file of caseworker commands, all or nothing.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.pass_context
def import_cmd(ctx: click.Context, file: Path) -> None:
    """Run a file of caseworker commands, all or nothing.

    CSV with a `command` column and one column per option, or JSON Lines of objects with the
    same keys. The whole file is checked in one pass: every bad line is reported with its
    number (format, rule and permission errors together) and nothing is written unless every
    line is good. The exit code is the most specific of the problems.

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
        for _, error in outcome.problems:
            echo_error(str(error))
        skipped = (f"; {len(outcome.not_checked)} later line(s) of the same positions not checked"
                   if outcome.not_checked else "")
        echo_error(f"{len(outcome.problems)} bad line(s){skipped}; nothing was written")
        ctx.exit(outcome.exit_code)
    click.echo(f"imported {outcome.lines} commands, {outcome.written} events")


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
    emit_rows(rows, fmt, ["projection", "position", "head", "behind"])
    ahead = [row for row in rows if row["position"] > row["head"]]
    if ahead:
        raise VerificationFailed(f"projections: {', '.join(repr(r['projection']) for r in ahead)} ahead of the log's "
                                 f"head {ahead[0]['head']}: the read models were edited or the log was cut")


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
        emit_rows([d.cells() for d in differences], fmt, ["table", "key", "column", "in_table", "from_log"])
    if differences:
        more = f" (and {len(differences) - 1} more, listed above)" if len(differences) > 1 else ""
        raise VerificationFailed(f"projections: {differences[0]}{more}")
    if fmt == "table":
        click.echo("read models match the log")


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
            click.echo(f"folded {folded} events up to {ctx.obj.ledger().head()}")
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

    ctx.obj.ledger().require_admin("rebuilding projections")
    with progress(ctx) as report_progress:
        folded = ctx.obj.runner().rebuild(progress=report_progress)
    click.echo(f"rebuilt: {folded} events folded up to {ctx.obj.ledger().head()}")


COMMANDS = {c.name: c for c in (init_cmd, users_group, frame_group, appropriation_group, import_cmd,
                                 projections_group)}
