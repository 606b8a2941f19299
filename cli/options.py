"""Click parameters generated from a command model's fields: one definition per command.

A field's type, description, metavar, choices and default (grants.domain.commands) become its
option; the model's docstring and example become the command's help.
"""

from __future__ import annotations

from typing import Any

import click

from grants.domain.commands import is_flag, is_multiple, shown_of


def option_name(field_name: str, info: Any) -> str:
    shown = shown_of(info)
    return "--" + ((shown.option if shown and shown.option else field_name).replace("_", "-"))


def parameters_for(model: Any) -> list[click.Parameter]:
    params: list[click.Parameter] = []
    for name, info in model.model_fields.items():
        shown = shown_of(info)
        if name == "ref":
            params.append(click.Argument(["ref"], metavar="REF"))
            continue
        kwargs: dict[str, Any] = {"help": info.description, "required": info.is_required()}
        if is_flag(info):
            kwargs.update(is_flag=True, default=None)
        else:
            kwargs["metavar"] = shown.metavar if shown else "TEXT"
            if is_multiple(info):
                kwargs.update(multiple=True, default=None)
            if shown and shown.choices:  # validated by the model; click only shows and completes them
                kwargs["metavar"] = "[" + "|".join(shown.choices()) + "]"
                kwargs["shell_complete"] = _completer(shown.choices)
        params.append(click.Option([option_name(name, info), name], **kwargs))
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


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user gave (click passes None or () for the others)."""
    return {k: v for k, v in values.items() if v is not None and v != ()}
