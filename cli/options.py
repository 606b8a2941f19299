"""Click parameters generated from a command model's fields: one definition per command.

A field's type, description, metavar, choices and default (grants.domain.commands) become its
option; the model's docstring and example become the command's help.
"""

from __future__ import annotations

import re
from typing import Any

import click

from grants.cli.completion import complete_kommune, complete_office, complete_ref, complete_scheme
from grants.domain.commands import is_flag, is_multiple, shown_of

# Values completed from the reference data or the ledger, by the field's metavar; other fields
# with choices complete those.
COMPLETERS = {"KOMMUNE": complete_kommune, "OFFICE": complete_office, "SCHEME": complete_scheme}
MAX_CHOICES_IN_HELP = 6


def option_name(field_name: str, info: Any) -> str:
    shown = shown_of(info)
    return "--" + ((shown.option if shown and shown.option else field_name).replace("_", "-"))


def parameters_for(model: Any) -> list[click.Parameter]:
    params: list[click.Parameter] = []
    for name, info in model.model_fields.items():
        shown = shown_of(info)
        if name == "ref":
            params.append(click.Argument(["ref"], metavar="REF", shell_complete=complete_ref))
            continue
        kwargs: dict[str, Any] = {"help": info.description, "required": info.is_required()}
        if is_flag(info):
            kwargs.update(is_flag=True, default=None)
        else:
            kwargs["metavar"] = shown.metavar if shown else "TEXT"
            if is_multiple(info):
                kwargs.update(multiple=True, default=None)
            choices = list(shown.choices()) if shown and shown.choices else []  # validated by the model
            if choices and shown.metavar not in COMPLETERS:
                kwargs["metavar"] = "[" + "|".join(choices) + "]"
            elif 0 < len(choices) <= MAX_CHOICES_IN_HELP:
                kwargs["help"] = f"{info.description} One of {', '.join(choices)}."
            if shown and (shown.choices or shown.metavar in COMPLETERS):
                kwargs["shell_complete"] = COMPLETERS.get(shown.metavar) or _completer(shown.choices)
        alias = "--" + name.replace("_", "-")  # the field's own name also works (--partners for --partner)
        names = [option_name(name, info)] + ([alias] if alias != option_name(name, info) else [])
        params.append(click.Option([*names, name], **kwargs))
    return params


def _completer(choices: Any) -> Any:
    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        return [c for c in choices() if c.lower().startswith(incomplete.lower())]

    return complete


def option_names_of(model: Any) -> dict[str, str]:
    return {name: option_name(name, info) for name, info in model.model_fields.items() if name != "ref"}


def help_of(model: Any) -> str:
    doc = (model.__doc__ or "").strip()
    example = getattr(model, "example", None)
    return f"{doc}\n\n\b\nExample:\n  {example}" if example else doc


def short_help_of(model: Any) -> str:
    """The docstring's first clause, for `grants --help` (`Record an application for a position`)."""
    first = (model.__doc__ or "").strip().split("\n")[0]
    return re.split(r"[;(:]|\. ", first)[0].strip().rstrip(".") + "."


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user gave (click passes None or () for the others)."""
    return {k: v for k, v in values.items() if v is not None and v != ()}
