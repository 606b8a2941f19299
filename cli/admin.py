"""Administration: create a ledger, users and roles, budget frames, batch import, read models."""

from __future__ import annotations

import time
from pathlib import Path

import click

from grants.cli.main import echo_error, option_names
from grants.cli.output import FORMATS, emit_rows, kroner, safe


@click.command("init")
@click.pass_context
def init_cmd(ctx: click.Context) -> None:
    """Create a ledger (file or tables) and make the current actor (GRANTS_ACTOR) its first admin.

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


@click.group("users")
def users_group() -> None:
    """Users and roles (admin)."""


@users_group.command("add")
@click.argument("name", metavar="NAME")
@click.option("--role", required=True, type=click.Choice(["caseworker", "auditor", "admin"]), help="The user's role.")
@click.option("--office", metavar="OFFICE", help="The caseworker's office (id or full name); required for caseworkers.")
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


@users_group.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def users_list_cmd(ctx: click.Context, fmt: str) -> None:
    """Every user with role and office."""
    rows = [{"name": u.name, "role": u.role, "office": u.office} for u in ctx.obj.ledger().users()]
    emit_rows(rows, fmt, ["name", "role", "office"])


@click.group("frame")
def frame_group() -> None:
    """Budget frames per office, scheme and year (admin)."""


def _frame_set() -> click.Command:
    from grants.cli.options import given, help_of, option_names_of, parameters_for
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

    return click.Command("set", callback=run, params=parameters_for(SetFrame), help=help_of(SetFrame))


frame_group.add_command(_frame_set())


@click.group("appropriation")
def appropriation_group() -> None:
    """National appropriations (bevilgning) per scheme and year, above the office frames (admin)."""


def _appropriation_set() -> click.Command:
    from grants.cli.options import given, help_of, option_names_of, parameters_for
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
                         help=f"{help_of(SetAppropriation)}\n\n\b\nExample:\n  {example}")


appropriation_group.add_command(_appropriation_set())


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_cmd(ctx: click.Context, file: Path) -> None:
    """Run a file of caseworker commands, all or nothing.

    CSV with a `command` column and one column per option, or JSON Lines of objects with the
    same keys. Every bad line is reported with its number; nothing is written unless all are good.

    \b
    Example:
      grants import decisions-2024.csv
    """
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


@click.group("projections")
def projections_group() -> None:
    """Read models: status against the head of the log, check against the log, rebuild, follow."""


@projections_group.command("status")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def projections_status_cmd(ctx: click.Context, fmt: str) -> None:
    """Each projection's position against the head of the log (no catch-up); exit 7 if ahead of it."""
    from grants.domain.errors import VerificationFailed
    from grants.projections.check import status_rows

    rows = status_rows(ctx.obj.runner())
    emit_rows(rows, fmt, ["projection", "position", "head", "behind"])
    ahead = [row for row in rows if row["position"] > row["head"]]
    if ahead:
        raise VerificationFailed(f"projections: {', '.join(repr(r['projection']) for r in ahead)} ahead of the log's "
                                 f"head {ahead[0]['head']}: the read models were edited or the log was cut")


@projections_group.command("check")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def projections_check_cmd(ctx: click.Context, fmt: str) -> None:
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
@click.option("--interval", type=click.FloatRange(0, 3600), default=5.0, show_default=True, metavar="SECONDS",
              help="Seconds between catch-ups.")
@click.option("--rounds", type=click.IntRange(0), default=0, metavar="N",
              help="Stop after N catch-ups (0: run until interrupted with Ctrl-C).")
@click.pass_context
def projections_follow_cmd(ctx: click.Context, interval: float, rounds: int) -> None:
    """Keep the read models current (for read-only reporting logins on PostgreSQL)."""
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
def projections_rebuild_cmd(ctx: click.Context) -> None:
    """Empty the read models and fold the whole log again (admin)."""
    ctx.obj.ledger().require_admin("rebuilding projections")
    folded = ctx.obj.runner().rebuild()
    click.echo(f"rebuilt: {folded} events folded up to {ctx.obj.ledger().head()}")


COMMANDS = {c.name: c for c in (init_cmd, users_group, frame_group, appropriation_group, import_cmd,
                                 projections_group)}
