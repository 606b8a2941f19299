"""The `grants` command: the group, its context, and the one error -> exit-code map.

Commands live in modules by who uses them (caseworker, auditor, reports, admin, demo) and are
loaded lazily: `grants show` imports neither the caseworkers' command models (pydantic) nor the
read models (SQLAlchemy). The caseworker commands are generated from the command models in
grants.domain.commands; every other command is named in SECTIONS below.
"""

from __future__ import annotations

import getpass
import importlib
import os
import sys
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import click

from grants.cli.output import safe
from grants.domain.actor import current_actor
from grants.domain.errors import GrantsError

# The CLI uses no pydantic plugins; skipping their discovery saves ~20 ms per command.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

CASEWORKER = "grants.cli.caseworker"
# Section title, module, command names (in the order shown by `grants --help`).
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Caseworkers: record decisions", CASEWORKER, ()),  # every command model, see caseworker.py
    ("Auditors: replay and verify", "grants.cli.auditor", ("show", "history", "explain", "verify", "export")),
    ("Reporting", "grants.cli.reports", ("funding", "expiry", "winddown", "compliance", "frames", "overview")),
    ("Checks for cron and CI", "grants.cli.check", ("check",)),
    ("Administration", "grants.cli.admin", ("init", "users", "frame", "appropriation", "import", "projections")),
    ("Try it", "grants.cli.demo", ("demo",)),
)

EXIT_CODES = ("0 ok · 1 internal error · 2 usage or invalid input · 3 changed by someone else, re-run · "
              "4 not found · 5 not allowed · 6 refused by a rule · 7 verification failed · "
              "8 storage failed (disk full, I/O error; nothing written) · 130 interrupted")

# The option names of the command being run, so an error about a field names the option.
option_names: ContextVar[dict[str, str]] = ContextVar("option_names", default={})
url_in_use: ContextVar[str] = ContextVar("url_in_use", default="")  # for messages about the database


def echo_error(message: str) -> None:
    click.echo(f"Error: {safe(for_options(message))}", err=True)


def for_options(message: str) -> str:
    """`wage_cost: must be ...` -> `--wage-cost: must be ...` for the command's own fields."""
    names = option_names.get()
    parts = []
    for part in message.split("; "):
        field_name, colon, rest = part.partition(":")
        parts.append(f"{names[field_name]}:{rest}" if colon and field_name in names else part)
    return "; ".join(parts)


@dataclass
class Context:
    """Configuration read once from options and environment, handed to commands via ctx.obj."""

    url: str | None
    actor_given: bool = True  # GRANTS_ACTOR was set; otherwise the ledger's login acts
    _ledger: Any = field(default=None, repr=False)

    def ledger(self) -> Any:
        if self._ledger is None:
            from grants.ledger.application import GrantsLedger

            self._ledger = GrantsLedger(self.url)
            if not self.actor_given:  # PostgreSQL: the database login; SQLite: the OS user
                current_actor.set(self._ledger.default_actor())
            self._ledger.require_user()  # once initialised, only users may use the ledger at all
        return self._ledger

    def runner(self) -> Any:
        """The projection runner on the ledger's database (imports SQLAlchemy: reports only)."""
        from grants.projections.db import engine_for
        from grants.projections.runner import Runner

        ledger = self.ledger()
        return Runner(engine_for(ledger.url), ledger)

    def current_views(self, as_of: str | None = None) -> Any:
        """The read models' engine, caught up (or replayed up to `as_of`): grants.projections.api.open_views."""
        from grants.cli.axes import time_cut
        from grants.projections.api import open_views

        return open_views(self.ledger(), time_cut(as_of, None)).engine

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return "unknown"


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_object(Context).url = value
        url_in_use.set(value)


def db_option() -> click.Option:
    """`--db` on every command as well as on the group (`grants show REF --db URL`)."""
    return click.Option(["--db"], metavar="URL", expose_value=False, is_eager=True, callback=_set_db,
                        help="Database URL (env GRANTS_DB).")


class GrantsGroup(click.Group):
    """Loads commands by section, shows them grouped, and runs every command through one
    error-to-exit-code map; never prints a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for _, _, names in self._sections() for name in names]

    def _sections(self) -> list[tuple[str, str, tuple[str, ...]]]:
        from grants.domain.commands import COMMANDS

        return [(title, module, names or tuple(COMMANDS)) for title, module, names in SECTIONS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = next((m for _, m, names in SECTIONS if cmd_name in names), CASEWORKER)
        command = getattr(importlib.import_module(module), "COMMANDS", {}).get(cmd_name)
        if command is not None and not any(p.name == "db" for p in command.params):
            command.params.append(db_option())
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for title, _, names in self._sections():
            rows = []
            for name in names:
                command = self.get_command(ctx, name)
                if command is not None:
                    rows.append((name, command.get_short_help_str(limit=formatter.width)))
            with formatter.section(title):
                formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: C901 - the one error map
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else "")
            sys.exit(0)
        except GrantsError as error:
            echo_error(str(error))
            sys.exit(error.exit_code)
        except click.ClickException as error:
            echo_error(error.format_message())
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt):
            echo_error("interrupted")
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - the last line of defence: one line, exit 1
            from grants.ledger.storage import translate

            storage = translate(error, url_in_use.get())  # a storage failure, by SQLite code or SQLSTATE
            if storage is not None:
                echo_error(str(storage))
                sys.exit(storage.exit_code)
            echo_error(f"internal error: {type(error).__name__}: {error}")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=GrantsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=f"Environment: GRANTS_DB (the database URL), GRANTS_ACTOR (who records; default the OS "
                    f"user).\n\nExit codes: {EXIT_CODES}.\n\nRun 'grants COMMAND --help' for a command's "
                    "options and an example.")
@click.option("--db", "url", metavar="URL",
              help="Database URL, e.g. sqlite:///ledger.sqlite or postgresql+psycopg://user@host/db "
                   "(env GRANTS_DB; default an SQLite file in the user data directory).")
@click.version_option(package_name="grants-ledger", prog_name="grants", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, url: str | None) -> None:
    """A ledger for kap. 765.62 Tilskudd til kommunalt rusarbeid and its sibling schemes."""
    claimed = os.environ.get("GRANTS_ACTOR")
    ctx.obj = Context(url=url, actor_given=bool(claimed))
    url_in_use.set(url or os.environ.get("GRANTS_DB", ""))
    current_actor.set(claimed or default_actor())
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    cli.main(prog_name="grants")


if __name__ == "__main__":
    main()
