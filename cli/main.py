"""The `grants` command: the group, its context, and the one error -> exit-code map.

Commands live in modules by who uses them (caseworker, auditor, reports, admin, demo) and are
loaded lazily: `grants show` imports neither the caseworkers' command models nor the read models
(SQLAlchemy), and only a batch import imports pydantic. The caseworker commands are generated
from the command models in grants.domain.commands; every other command is named in SECTIONS below.
"""

from __future__ import annotations

import gc
import getpass
import importlib
import os
import re
import sys
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import click

from grants.cli import language
from grants.cli.output import safe
from grants.cli.streams import tolerate_leaving_readers
from grants.domain.actor import current_actor
from grants.domain.errors import GrantsError
from grants.domain.i18n import N_, _

CASEWORKER = "grants.cli.caseworker"
# Section title, module, command names (in the order shown by `grants --help`).
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (N_("Caseworkers: record decisions"), CASEWORKER, ()),  # every command model, see caseworker.py
    (N_("Auditors: replay and verify"), "grants.cli.auditor", ("show", "history", "explain", "verify", "export")),
    (N_("Reporting"), "grants.cli.reports", ("funding", "expiry", "winddown", "compliance", "frames", "overview")),
    (N_("Checks for cron and CI"), "grants.cli.check", ("check",)),
    (N_("Administration"), "grants.cli.admin", ("init", "users", "frame", "appropriation", "import", "projections")),
    (N_("Try it"), "grants.cli.demo", ("demo",)),
)

EXIT_CODES = (("0", N_("ok")), ("1", N_("internal error")),
              ("2", N_("usage or invalid input, or no ledger at the URL")),
              ("3", N_("changed by someone else meanwhile: re-run")), ("4", N_("not found")),
              ("5", N_("not allowed (role or office)")), ("6", N_("refused by a funding or lifecycle rule")),
              ("7", N_("verification failed")), ("8", N_("storage failed (disk full, I/O error; nothing written)")),
              ("130", N_("interrupted (Ctrl-C)")))
# `grants --help` after the commands; each paragraph is one message of the catalogue.
ENVIRONMENT_HELP = N_("""\b
Environment:
  GRANTS_DB     the database URL, as --db (default: ledger.sqlite in the user data directory)
  GRANTS_ACTOR  who records the decisions (default: the OS user; on PostgreSQL the login)
  LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the language, as --lang (nb_NO.UTF-8: Norwegian)
  GRANTS_CHECKPOINTS, GRANTS_CHAIN_KEY_FILE, GRANTS_PRACTICE: see the README""")
TIMES_HELP = N_("""Two times: every decision has a business date (--received, --decided, --effective: when it
takes effect, filled from the data when left out) and a recorded time (when the ledger stored
it, UTC). Reading commands ask about either: --known-at replays the ledger as recorded then
(--as-of is its earlier name), --in-force what was in force on a date, as known now.""")
EXIT_CODES_HEADING = N_("Exit codes:")
COMPLETION_HELP = N_('\b\nShell completion (bash; zsh and fish in the README):\n'
                     '  eval "$(_GRANTS_COMPLETE=bash_source grants)"')
MORE_HELP = N_("Run 'grants COMMAND --help' for a command's options and an example.")
LANG_HELP = N_("Language of messages, headings and help: nb (Norwegian bokmål) or en "
               "(default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG; else English).")


def epilog() -> str:
    """The end of `grants --help`: environment, the two times, exit codes, completion."""
    codes = "\n".join(f"  {code:<4} {_(meaning)}" for code, meaning in EXIT_CODES)
    return "\n\n".join([_(ENVIRONMENT_HELP), _(TIMES_HELP), f"\b\n{_(EXIT_CODES_HEADING)}\n{codes}",
                        _(COMPLETION_HELP), _(MORE_HELP)])


# The option names of the command being run, so an error about a field names the option.
option_names: ContextVar[dict[str, str]] = ContextVar("option_names", default={})  # noqa: B039 - never mutated, only set
url_in_use: ContextVar[str] = ContextVar("url_in_use", default="")  # for messages about the database


def echo_error(message: str) -> None:
    click.echo(_("Error: {message}").format(message=safe(for_options(message))), err=True)


def parameter_message(error: click.BadParameter) -> str:
    """A missing or malformed value that click found (`Missing option '--reason'.`, `Invalid value
    for '--only': ...`) in the form of every other error: `--reason: is required`."""
    param = error.param
    if param is None:
        return error.format_message()
    name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
    if isinstance(error, click.MissingParameter):
        return f"{name}: " + _("is required")
    return f"{name}: {error.message}"


def for_options(message: str) -> str:
    """`wage_cost: must be ...` -> `--wage-cost: must be ...` for the command's own fields; a
    field named inside a message (`over_frame`) becomes its option too."""
    names = option_names.get()
    parts = []
    for part in message.split("; "):
        field_name, colon, rest = part.partition(":")
        parts.append(f"{names[field_name]}:{rest}" if colon and field_name in names else part)
    text = "; ".join(parts)
    for field_name, option in names.items():
        if "_" in field_name:  # only unmistakable identifiers, never ordinary words like `amount`
            text = re.sub(rf"(?<![-\w]){field_name}\b", option, text)
    return text


class Interrupted(Exception):
    """Ctrl-C while a command ran (raised in place of KeyboardInterrupt, which click would answer
    with an extra blank line)."""


@dataclass
class Context:
    """Configuration read once from options and environment, handed to commands via ctx.obj."""

    url: str | None
    quiet: bool = False  # no progress display
    actor_given: bool = True  # GRANTS_ACTOR was set; otherwise the ledger's login acts
    _ledger: Any = field(default=None, repr=False)
    _engines: list = field(default_factory=list, repr=False)  # read-model engines, closed with the ledger

    def ledger(self) -> Any:
        if self._ledger is None:
            from grants.ledger.application import GrantsLedger

            self.adopt(GrantsLedger(self.url)).require_user()  # once initialised, only users may use it
        return self._ledger

    def adopt(self, ledger: Any) -> Any:
        """Use `ledger` for this command (also one just created: init, demo). Without GRANTS_ACTOR
        its login acts: the database login on PostgreSQL, the OS user on SQLite."""
        self._ledger = ledger
        if not self.actor_given:
            current_actor.set(ledger.default_actor())
        return ledger

    def runner(self) -> Any:
        """The projection runner on the ledger's database (imports SQLAlchemy: reports only)."""
        from grants.projections.db import engine_for
        from grants.projections.runner import Runner

        ledger = self.ledger()
        self._engines.append(engine_for(ledger.url))
        return Runner(self._engines[-1], ledger)

    def current_views(self, as_of: str | None = None, progress: Any = None) -> Any:
        """The read models' engine, caught up (or replayed up to `as_of`): grants.projections.api.open_views;
        `progress` is called per batch folded (the demo's bar)."""
        from grants.cli.axes import time_cut
        from grants.projections.api import open_views

        engine = open_views(self.ledger(), time_cut(as_of, None), progress=progress).engine
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if self._ledger is not None:
            self._ledger.close()


def actor_from_env() -> str:
    """Who records: GRANTS_ACTOR, else the OS user."""
    return os.environ.get("GRANTS_ACTOR") or default_actor()


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return "unknown"


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # Called for every command (given or not), first: the command's options name its fields.
    # (`db:` stays: the URL may come from GRANTS_DB as well as from --db.)
    option_names.set({p.name: p.opts[0] for p in ctx.command.params
                      if isinstance(p, click.Option) and p.name not in (None, "db") and p.opts[0].startswith("--")})
    if value is not None:
        from grants.cli.completion import DB_META

        ctx.meta[DB_META] = value  # for the shell completers, which run without a Context
        obj = ctx.find_object(Context)
        if obj is not None:
            obj.url = value
        url_in_use.set(value)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool | None) -> None:
    obj = ctx.find_object(Context)
    if value and obj is not None:
        obj.quiet = True


def common_options() -> list[click.Option]:
    """`--db`, `--quiet` and `--lang` on every command as well as on the group (`grants show REF --db URL`)."""
    return [click.Option(["--db"], metavar="URL", expose_value=False, is_eager=True, callback=_set_db,
                         help="Database URL (env GRANTS_DB)."),
            click.Option(["-q", "--quiet"], is_flag=True, default=None, expose_value=False, callback=_set_quiet,
                         help="No progress display."),
            lang_option()]


def lang_option() -> click.Option:
    """--lang: read before click parses (GrantsGroup.main, grants.cli.language); here it is
    checked and shown in the help."""
    return click.Option(["--lang"], type=click.Choice(language.LANGUAGES, case_sensitive=False), expose_value=False,
                        help=LANG_HELP)


@dataclass
class Loading:
    paused: bool = False  # main() paused the collector until the command is loaded


loading = Loading()


class GrantsGroup(click.Group):
    """Loads commands by section, shows them grouped, and runs every command through one
    error-to-exit-code map; never prints a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for _, _, names in self._sections() for name in names]

    def _sections(self) -> list[tuple[str, str, tuple[str, ...]]]:
        from grants.domain.commands import COMMANDS

        return [(title, module, names or tuple(COMMANDS)) for title, module, names in SECTIONS]

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        found = super().resolve_command(ctx, args)
        if loading.paused:  # the command is loaded: its modules' objects are frozen, never walked again
            loading.paused = False
            gc.freeze()
            gc.enable()
        return found

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = next((m for _title, m, names in SECTIONS if cmd_name in names), CASEWORKER)
        command = getattr(importlib.import_module(module), "COMMANDS", {}).get(cmd_name)
        if command is not None:
            _add_common_options(command)
            command = language.localised(command)  # its help in the language in use
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for title, _module, names in self._sections():
            rows = []
            for name in names:
                command = self.get_command(ctx, name)
                if command is not None:  # every command has a short_help written to fit: never cut
                    rows.append((name, command.get_short_help_str(limit=1000)))
            with formatter.section(_(title)):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(epilog())

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        """Choose the language first (before click parses anything), then run in it."""
        chosen = language.choose(sys.argv[1:] if args is None else list(args), os.environ)
        language.install(chosen)
        try:
            root = language.localised(self)  # the group's own help and options, translated (or itself)
            assert isinstance(root, GrantsGroup)
            return root.run_mapped(args, *rest, **kwargs)
        finally:
            language.install("en")  # a caller in the same process (a test) is back to the code's English

    def run_mapped(self, *args: Any, **kwargs: Any) -> Any:  # noqa: C901 - the one error map
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else "")
            sys.exit(0)
        except GrantsError as error:
            echo_error(str(error))
            sys.exit(error.exit_code)
        except click.BadParameter as error:  # click's own checks, said as ours: `--option: message`
            echo_error(parameter_message(error))
            sys.exit(error.exit_code)
        except click.ClickException as error:
            echo_error(error.format_message())
            sys.exit(error.exit_code)
        except (Interrupted, click.Abort, KeyboardInterrupt):
            echo_error(_("interrupted"))
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - the last line of defence: one line, exit 1
            from grants.ledger.storage import translate

            storage = translate(error, url_in_use.get())  # a storage failure, by SQLite code or SQLSTATE
            if storage is not None:
                echo_error(str(storage))
                sys.exit(storage.exit_code)
            echo_error(_("internal error: {kind}: {error}").format(kind=type(error).__name__, error=error))
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _add_common_options(command: click.Command) -> None:
    """Give a command (and the commands of a group such as `users`) --db and --quiet, once."""
    if not any(p.name == "db" for p in command.params):
        command.params.extend(common_options())
    for sub in getattr(command, "commands", {}).values():
        _add_common_options(sub)


@click.group(cls=GrantsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             short_help="A ledger for kap. 765.62 and its sibling schemes.")
@click.option("--db", "url", metavar="URL",
              help="Database URL, e.g. sqlite:///ledger.sqlite or postgresql+psycopg://user@host/db "
                   "(env GRANTS_DB; default an SQLite file in the user data directory).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display on long work (also: after the command).")
@click.option("--lang", type=click.Choice(language.LANGUAGES, case_sensitive=False), expose_value=False,
              help=LANG_HELP)
@click.version_option(package_name="grants-ledger", prog_name="grants", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, url: str | None, quiet: bool) -> None:
    """A ledger for kap. 765.62 Tilskudd til kommunalt rusarbeid and its sibling schemes.

    \b
    Example (a first ledger, then a decision):
      grants init
      grants apply 2021/4711-3 --kommune 3401 --scheme 765.62 --title Ruskonsulent --fte 1 --year 2021
    """
    claimed = os.environ.get("GRANTS_ACTOR")
    ctx.obj = Context(url=url, quiet=quiet, actor_given=bool(claimed))
    url_in_use.set(url or os.environ.get("GRANTS_DB", ""))
    current_actor.set(actor_from_env())
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """The console script. The cyclic collector is paused while the command and its modules load
    (click, eventsourcing, pydantic, SQLAlchemy: objects that all live to the end, which the
    collector would otherwise walk again and again) and resumed when the command runs; what is
    left at exit is frozen, so the exit does not walk it either. A command's own bulk work pauses
    it again (grants.ledger.gc_pause)."""
    gc.disable()
    loading.paused = True
    tolerate_leaving_readers()  # `grants check | head -1` still exits 6 (grants.cli.streams)
    try:
        cli.main(prog_name="grants")
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
