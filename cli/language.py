"""The language of messages, headings and help: `--lang nb|en`, else the locale environment,
else English (docs/i18n.md).

Chosen once per run, before click parses anything, so that usage errors and `--help` come in the
chosen language too. English reads no catalogue and copies nothing: the messages are written in
English in the code. Norwegian bokmål reads the compiled catalogue `locale/nb/LC_MESSAGES/grants.mo`
beside this module (stdlib gettext; babel is only needed to extract and compile, see catalog.py).
"""

from __future__ import annotations

import gettext
import inspect
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import click

from grants.domain import i18n
from grants.domain.i18n import _

DOMAIN = "grants"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nb", "en")
# Locale language codes read as Norwegian bokmål: `no` is the older name of the bokmål locales
# (no_NO), and nynorsk (`nn`) readers get bokmål rather than English (there is no nynorsk catalogue).
NORWEGIAN = frozenset({"nb", "no", "nn"})
ENGLISH = frozenset({"en", "c", "posix"})
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # the order gettext reads them in
# click marks its own words (Usage:, Options, Missing option, ...) with stdlib gettext, bound at
# import in each of these modules; those loaded when a language is installed read ours instead,
# which in English returns the words as written without gettext looking for a system catalogue
# (and importing `locale`) on every word.
CLICK_MODULES = ("click.core", "click.exceptions", "click.parser", "click.types", "click.formatting",
                 "click.decorators", "click.termui", "click.utils", "click.shell_completion")


def choose(args: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of this run: the last `--lang` given on the command line, else the locale."""
    return from_arguments(args) or from_environment(environ)


def from_arguments(args: Sequence[str]) -> str | None:
    """`--lang nb` or `--lang=nb` anywhere before `--` (the group's or a subcommand's option);
    an unknown value is left to click, which refuses it (exit 2)."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else arg.partition("=")[2]
        if (arg == "--lang" or arg.startswith("--lang=")) and value.lower() in LANGUAGES:
            found = value.lower()
    return found


def from_environment(environ: Mapping[str, str]) -> str:
    """As gettext reads the locale: the first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is
    set decides; in a list (LANGUAGE=sv:nb) the first language we have wins. Anything else, or
    nothing set, is English."""
    for name in ENVIRONMENT:
        value = environ.get(name, "")
        if value:
            for entry in value.split(":"):
                code = entry.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
                if code in NORWEGIAN:
                    return "nb"
                if code in ENGLISH:
                    return "en"
            return "en"
    return "en"


def install(language: str) -> None:
    """Use `language` for every message from now on (English: no catalogue at all)."""
    use_catalogue(None if language == "en" else _catalogue(language), language)


def use_catalogue(catalogue: i18n.Catalogue | None, language: str) -> None:
    """Translate our messages and click's with `catalogue` (None: English as written)."""
    i18n.use(catalogue, language)
    _bind_click()


def _bind_click() -> None:
    """click's loaded modules ask our `_` and `ngettext` for their words (in the language in use)."""
    for name in CLICK_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


# Bound at import too: click's decorators ask for their words while the commands are defined,
# before a language is chosen (in English ours return them as written, without gettext's search).
_bind_click()


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue; a missing one (a broken install) leaves the messages in English."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


# --- help in the language in use -----------------------------------------------------------------

def localised(command: click.Command) -> click.Command:
    """A copy of `command` (and of its options and subcommands) whose help texts are translated:
    help, short help, epilog, and each option's help. Used only while a catalogue is installed;
    the command defined in the code stays English."""
    if not i18n.translating():
        return command
    import copy  # only while translating

    local = copy.copy(command)
    local.help = _localised_help(command)
    local.short_help = _(command.short_help) if command.short_help else command.short_help
    local.epilog = _(inspect.cleandoc(command.epilog)) if command.epilog else command.epilog
    local.params = [localised_param(p) for p in command.params]
    local._help_option = None  # type: ignore[attr-defined]  # made again, in the language in use
    if isinstance(command, click.Group):
        local.commands = {name: localised(sub) for name, sub in command.commands.items()}  # type: ignore[attr-defined]
    return local


def localised_param(param: click.Parameter) -> click.Parameter:
    if not isinstance(param, click.Option) or not param.help:
        return param
    import copy

    local = copy.copy(param)
    own = getattr(param, "localised_help", None)  # an option that composes its help (options.FieldOption)
    local.help = own() if own is not None else _(inspect.cleandoc(param.help))
    return local


def _localised_help(command: click.Command) -> str | None:
    own = getattr(command, "localised_help", None)  # a command that composes its help (options.ModelCommand)
    if own is not None:
        return own()
    return _(inspect.cleandoc(command.help)) if command.help else command.help
