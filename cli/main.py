"""The `grants` command: options are validated by the command models, errors map to exit codes.

Exit codes: 0 ok, 1 internal error, 2 usage or invalid input, 3 concurrent change (re-run),
4 not found, 5 not allowed, 6 rule refused, 7 verification failed, 8 storage failed (disk full,
I/O error, server unreachable; nothing written).
"""

import getpass
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone

import click

from grants.cli.output import emit_rows, safe, table, to_json
from grants.domain.actor import current_actor
from grants.domain.errors import GrantsError, InvalidInput
from grants.domain.refs import parse_ref

# The CLI uses no pydantic plugins; skipping their discovery saves ~20 ms per command.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


class _Commands:
    """`c.Apply` etc., imported on first use: reading commands never load pydantic."""

    def __getattr__(self, name):
        from grants.domain import commands

        return getattr(commands, name)


c = _Commands()

FORMATS = click.Choice(["table", "csv", "json"])  # every reading command (DESIGN.md)


def echo_error(message: str) -> None:
    click.echo(f"Error: {safe(message)}", err=True)


class GrantsGroup(click.Group):
    """Runs every command through one error-to-exit-code map; never prints a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except GrantsError as error:
            echo_error(str(error))
            sys.exit(error.exit_code)
        except click.ClickException as error:
            echo_error(error.format_message())
            sys.exit(error.exit_code)
        except click.Abort:
            echo_error("aborted")
            sys.exit(1)
        except Exception as error:  # the last line of defence: one line, exit 1
            from grants.ledger.storage import translate

            storage = translate(error)  # a storage failure, by SQLite code or SQLSTATE
            if storage is not None:
                echo_error(str(storage))
                sys.exit(storage.exit_code)
            echo_error(f"internal error: {type(error).__name__}: {error}")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@dataclass
class Context:
    """Configuration read once from options and environment, handed to commands via ctx.obj."""

    url: str | None
    actor_given: bool = True  # GRANTS_ACTOR was set; otherwise the ledger's login acts
    _ledger: object = field(default=None, repr=False)

    def ledger(self):
        if self._ledger is None:
            from grants.ledger.application import GrantsLedger

            self._ledger = GrantsLedger(self.url)
            if not self.actor_given:  # PostgreSQL: the database login; SQLite: the OS user
                current_actor.set(self._ledger.default_actor())
            self._ledger.require_user()  # once initialised, only users may use the ledger at all
        return self._ledger

    def runner(self):
        """The projection runner on the ledger's database (imports SQLAlchemy: reports only)."""
        from grants.projections.db import engine_for
        from grants.projections.runner import Runner

        ledger = self.ledger()
        return Runner(engine_for(ledger.url), ledger)

    def current_views(self, as_of: str | None = None):
        """Catch the read models up to the head of the log and return their engine; with `as_of`,
        replay the log up to that moment into a private in-memory database instead."""
        if as_of is not None:
            from grants.ledger.application import AsOf
            from grants.projections.db import engine_for
            from grants.projections.runner import Runner

            runner = Runner(engine_for("sqlite://"), AsOf(self.ledger(), parse_moment(as_of)))
        else:
            runner = self.runner()
        runner.catch_up()
        return runner.engine

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


@click.group(cls=GrantsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "url", metavar="URL", help="Database URL (env GRANTS_DB); default an SQLite file in the user data directory.")
@click.pass_context
def cli(ctx, url):
    """Grant ledger for kap. 765.62 Kommunalt rusarbeid and its sibling schemes."""
    claimed = os.environ.get("GRANTS_ACTOR")
    ctx.obj = Context(url=url or os.environ.get("GRANTS_DB"), actor_given=bool(claimed))
    current_actor.set(claimed or default_actor())
    ctx.call_on_close(ctx.obj.close)


def run(ctx, model, **values):
    """Validate the options into a command model and execute it."""
    command = c.parse(model, **{k: v for k, v in values.items() if v is not None})
    return ctx.obj.ledger().execute(command)


def summary(position) -> str:
    year = position.last_year
    funded = position.years.get(year) if year else None
    money = f"; {year}: {funded.amount} NOK, ladder year {funded.ladder_year}, rule {funded.rule_id}" if funded else ""
    return f"{safe(position.ref)}: {position.status}, version {position.version}{money}"


# --- caseworker -------------------------------------------------------------------------------

@cli.command("apply")
@click.argument("ref")
@click.option("--kommune", required=True, help="Kommunenummer, e.g. 3401.")
@click.option("--scheme", required=True, help="765.62 | 765.62-new | 765.60-adults | 765.60-youth")
@click.option("--title", required=True)
@click.option("--fte", required=True, help="Decimal fraction of a full-time position, e.g. 0.5.")
@click.option("--year", required=True, help="First year applied for.")
@click.option("--received", help="Date the application was received (default today).")
@click.option("--wage-cost", help="Yearly wage cost in whole kroner.")
@click.option("--focus", help="Focus area (innsatsområde).")
@click.option("--partner", "partners", multiple=True, help="Cooperating partner (repeatable).")
@click.pass_context
def apply_cmd(ctx, ref, kommune, scheme, title, fte, year, received, wage_cost, focus, partners):
    """Record an application for a position (idempotent by REF)."""
    position, created = run(ctx, c.Apply, ref=ref, kommune=kommune, scheme=scheme, title=title, fte=fte,
                            year=year, received=received, wage_cost=wage_cost, focus=focus,
                            partners=partners or None)
    click.echo(("applied " if created else "unchanged (already applied) ") + summary(position))


@cli.command("grant")
@click.argument("ref")
@click.option("--year", required=True)
@click.option("--ladder-year", type=int, help="Place a position funded before 2017 on the ladder (needs --reason).")
@click.option("--amount", help="Whole kroner (amount-based schemes only).")
@click.option("--decided", help="Decision date (default today).")
@click.option("--reason")
@click.option("--over-frame", is_flag=True, default=None, help="Grant beyond the office's budget frame (needs --reason).")
@click.option("--pre-project", is_flag=True, default=None, help="765.60: the first year is a pre-project year.")
@click.pass_context
def grant_cmd(ctx, ref, **options):
    """Grant the first year of an application."""
    click.echo("granted " + summary(run(ctx, c.Grant, ref=ref, **options)))


@cli.command("reject")
@click.argument("ref")
@click.option("--reason", required=True)
@click.option("--decided")
@click.pass_context
def reject_cmd(ctx, ref, **options):
    """Reject an application."""
    click.echo("rejected " + summary(run(ctx, c.Reject, ref=ref, **options)))


@cli.command("advance")
@click.argument("ref")
@click.option("--year", required=True, help="The next calendar year.")
@click.option("--amount", help="Whole kroner (amount-based schemes only).")
@click.option("--decided")
@click.option("--reason")
@click.option("--over-frame", is_flag=True, default=None)
@click.pass_context
def advance_cmd(ctx, ref, **options):
    """Fund the next year of an active position."""
    click.echo("advanced " + summary(run(ctx, c.Advance, ref=ref, **options)))


@cli.command("reduce-fte")
@click.argument("ref")
@click.option("--fte", required=True)
@click.option("--effective", required=True, help="First day of a month, YYYY-MM-01.")
@click.option("--reason")
@click.pass_context
def reduce_fte_cmd(ctx, ref, **options):
    """Lower a position's FTE from the first day of a month; that year's amount is pro rata."""
    click.echo("reduced " + summary(run(ctx, c.ReduceFte, ref=ref, **options)))


@cli.command("report")
@click.argument("ref")
@click.option("--year", required=True)
@click.option("--spent", required=True, help="Whole kroner spent of the grant.")
@click.option("--fte-filled")
@click.option("--self-financing", help="Whole kroner the kommune financed itself.")
@click.option("--attested", type=click.Choice(["self", "auditor"]))
@click.option("--received")
@click.option("--correction", is_flag=True, default=None)
@click.option("--reason")
@click.pass_context
def report_cmd(ctx, ref, **options):
    """Record the report for a funded year (a correction is a new report, never an edit)."""
    position = run(ctx, c.Report, ref=ref, **options)
    latest = position.reports[int(options["year"])][-1]
    click.echo(f"reported {summary(position)}; spent {latest.spent}, to reclaim {latest.to_reclaim}")


@cli.command("terminate")
@click.argument("ref")
@click.option("--cause", required=True, type=click.Choice(["expired", "wound-down", "withdrawn", "other"]))
@click.option("--reason", required=True)
@click.option("--effective")
@click.pass_context
def terminate_cmd(ctx, ref, **options):
    """End a position (expired, wound-down, withdrawn or other)."""
    click.echo("terminated " + summary(run(ctx, c.Terminate, ref=ref, **options)))


# --- users ------------------------------------------------------------------------------------

@cli.command("init")
@click.pass_context
def init_cmd(ctx):
    """Create the ledger's tables and make the current actor (GRANTS_ACTOR) its first admin."""
    from grants.ledger.config import redacted_url

    admin = ctx.obj.ledger().initialize()
    ctx.obj.runner()  # the read-model tables, created once here, by the ledger's owner
    click.echo(f"initialised {safe(redacted_url(ctx.obj.ledger().url))}; first admin {safe(admin.name)!r}")


@cli.group("users")
def users_group():
    """Users and roles (admin)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["caseworker", "auditor", "admin"]))
@click.option("--office", help="The caseworker's office (id or full name).")
@click.pass_context
def users_add_cmd(ctx, name, role, office):
    """Add a user, or change an existing user's role and office."""
    from grants.domain.commands import _text
    from grants.domain.kommuner import office_id

    try:
        name = _text(100)(name)
    except ValueError as error:
        raise InvalidInput(f"name: {error}, got {name!r}") from None
    user = ctx.obj.ledger().add_user(name, role, office_id(office) if office is not None else None)
    click.echo(f"user {safe(user.name)!r}: {user.role}{' at ' + user.office if user.office else ''}, version {user.version}")


@users_group.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def users_list_cmd(ctx, fmt):
    """Every user with role and office."""
    rows = [{"name": u.name, "role": u.role, "office": u.office} for u in ctx.obj.ledger().users()]
    emit_rows(rows, fmt)


# --- auditor ----------------------------------------------------------------------------------

def parse_moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"as_of: must be an ISO date or date-time, got {raw!r}") from None
    if moment.tzinfo is None:  # a bare date or time is read as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    if len(raw.strip()) == 10:  # a bare date means the end of that day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment


@cli.command("show")
@click.argument("ref")
@click.option("--version", "version", type=click.IntRange(min=1), help="State after event number N.")
@click.option("--as-of", help="State as recorded at this UTC date or date-time.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def show_cmd(ctx, ref, version, as_of, fmt):
    """Show a position: its status, FTE and every funded year."""
    from grants.cli.views import position_view

    parse_ref(ref)
    ledger = ctx.obj.ledger()
    if version is not None and as_of is not None:
        raise InvalidInput("version: give --version or --as-of, not both")
    if as_of is not None:
        position = ledger.position_as_of(ref, parse_moment(as_of))
    else:
        position = ledger.position(ref, version=version)
    if version is not None and position.version != version:
        raise InvalidInput(f"version: {ref!r} has only {position.version} events, got {version}")
    view = position_view(position)
    if fmt == "json":
        click.echo(to_json(view))
        return
    if fmt == "csv":  # one row per funded year, with the position's identity on each row
        identity = {k: view[k] for k in ("ref", "kommunenummer", "office", "scheme", "status")}
        emit_rows([{**identity, **{k: y[k] for k in ("year", "ladder_year", "fte", "amount", "granted_amount", "rule")}}
                   for y in view["years"]], "csv")
        return
    head = ["ref", "version", "kommunenummer", "kommune", "office", "scheme", "title", "status", "fte",
            "ladder_year", "first_year"]
    for key in head:
        click.echo(f"{key:>14}: {safe(view[key] if view[key] is not None else '')}")
    if view["termination"]:
        t = view["termination"]
        click.echo(f"{'terminated':>14}: {t['cause']} from {t['effective']} ({safe(t['reason'])})")
    if view["rejection"]:
        click.echo(f"{'rejected':>14}: {safe(view['rejection'])}")
    click.echo("")
    click.echo(table(view["years"], ["year", "ladder_year", "fte", "amount", "granted_amount", "rule"]))
    if view["reports"]:
        click.echo("")
        click.echo(table(view["reports"], ["year", "spent", "to_reclaim", "fte_filled", "self_financing",
                                           "attested", "received", "correction"]))


@cli.command("history")
@click.argument("ref")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def history_cmd(ctx, ref, fmt):
    """Every event of a position in order, with who recorded it and the state after it."""
    from grants.cli.views import event_view

    parse_ref(ref)
    rows, state = [], None
    ledger = ctx.obj.ledger()
    logins = ledger.recorded_logins(ref)  # who the chain row names: session_user, or the OS user on SQLite
    for domain_event in ledger.events_of(ref):
        state = domain_event.mutate(state)
        row = event_view(domain_event, state)
        row["login"] = logins.get(row["version"])
        row["claimed"] = row["login"] is not None and row["actor"] != row["login"]  # actor named, not logged in
        rows.append(row)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    flat = [{"version": r["version"], "event": r["event"], "recorded": r["recorded"],
             "effective": r["effective"], "actor": r["actor"], "status": r["state"]["status"],
             "fte": r["state"]["fte"], "ladder_year": r["state"]["ladder_year"],
             "year": r["state"]["year"], "amount": r["state"]["amount"], "reason": r["reason"], "login": r["login"]}
            for r in rows]
    emit_rows(flat, fmt)


def main() -> None:
    cli.main(prog_name="grants")


from grants.cli import audit, demo, reports  # noqa: E402,F401  (registers the other commands)


if __name__ == "__main__":
    main()
