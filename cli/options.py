"""Click parameters generated from a command model's fields: one definition per command.

A field's type, description, metavar, choices and default (grants.domain.commands) become its
option; the model's docstring and example become the command's help.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import click

from grants.cli.completion import complete_kommune, complete_office, complete_ref, complete_scheme
from grants.domain.commands import Spec, fields_of
from grants.domain.i18n import N_, _

# Values completed from the reference data or the ledger, by the field's metavar; other fields
# with choices complete those.
COMPLETERS = {"KOMMUNE": complete_kommune, "OFFICE": complete_office, "SCHEME": complete_scheme}
MAX_CHOICES_IN_HELP = 6
ONE_OF = N_("One of {choices}.")
EXAMPLE = N_("Example:")


class FieldOption(click.Option):
    """An option made from a model field: its help is the field's description, followed by its
    choices when they are few; both are translated where the help is shown (cli/language.py)."""

    def __init__(self, *args: Any, description: str | None, named_choices: list[str], **kwargs: Any):
        self.description, self.named_choices = description, named_choices
        super().__init__(*args, help=self._help(lambda text: text), **kwargs)

    def localised_help(self) -> str | None:
        return self._help(_)

    def _help(self, translate: Any) -> str | None:
        if not self.named_choices or self.description is None:
            return translate(self.description) if self.description else self.description
        return f"{translate(self.description)} {translate(ONE_OF).format(choices=', '.join(self.named_choices))}"


class ModelCommand(click.Command):
    """A command made from a command model: its help is the model's docstring and example."""

    def __init__(self, name: str, model: Any, **kwargs: Any):
        self.model = model
        super().__init__(name, params=parameters_for(model), help=help_of(model), short_help=short_help_of(model),
                         **kwargs)

    def localised_help(self) -> str:
        return help_of(self.model, _)


def option_name(spec: Spec) -> str:
    return "--" + (spec.kind.option or spec.name).replace("_", "-")


def parameters_for(model: Any) -> list[click.Parameter]:
    params: list[click.Parameter] = []
    for spec in fields_of(model):
        shown = spec.kind
        if spec.name == "ref":
            params.append(click.Argument(["ref"], metavar="REF", shell_complete=complete_ref))
            continue
        kwargs: dict[str, Any] = {"description": spec.about, "named_choices": [], "required": spec.required}
        if shown.flag:
            kwargs.update(is_flag=True, default=None)
        else:
            kwargs["metavar"] = shown.metavar
            if shown.multiple:
                kwargs.update(multiple=True, default=None)
            choices = list(shown.choices()) if shown.choices else []  # checked by the field's Kind
            if choices and shown.metavar not in COMPLETERS:
                kwargs["metavar"] = "[" + "|".join(choices) + "]"
            elif 0 < len(choices) <= MAX_CHOICES_IN_HELP:
                kwargs["named_choices"] = choices
            if shown.choices or shown.metavar in COMPLETERS:
                kwargs["shell_complete"] = COMPLETERS.get(shown.metavar) or _completer(shown.choices)
        alias = "--" + spec.name.replace("_", "-")  # the field's own name also works (--partners for --partner)
        names = [option_name(spec)] + ([alias] if alias != option_name(spec) else [])
        params.append(FieldOption([*names, spec.name], **kwargs))
    return params


def _completer(choices: Any) -> Any:
    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        return [c for c in choices() if c.lower().startswith(incomplete.lower())]

    return complete


def option_names_of(model: Any) -> dict[str, str]:
    return {spec.name: option_name(spec) for spec in fields_of(model) if spec.name != "ref"}


def help_of(model: Any, translate: Any = lambda text: text) -> str:
    """The model's docstring and its example (in English unless `translate` is `_`)."""
    doc = translate(inspect.cleandoc(model.__doc__ or ""))
    example = getattr(model, "example", None)
    return f"{doc}\n\n\b\n{translate(EXAMPLE)}\n  {example}" if example else doc


def short_help_of(model: Any) -> str:
    """The docstring's first clause, for `grants --help` (`Record an application for a position`)."""
    first = (model.__doc__ or "").strip().split("\n")[0]
    return re.split(r"[;(:]|\. ", first)[0].strip().rstrip(".") + "."


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user gave (click passes None or () for the others)."""
    return {k: v for k, v in values.items() if v is not None and v != ()}
