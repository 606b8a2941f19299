"""Caseworker commands, one per command model in grants.domain.commands (generated, not written)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import click

from grants.cli.main import option_names
from grants.cli.options import ModelCommand, given, option_names_of
from grants.cli.views import summary
from grants.domain.commands import COMMANDS as MODELS
from grants.domain.commands import Apply, parse
from grants.domain.i18n import _


def decision_command(model: Any) -> click.Command:
    @click.pass_context
    def run(ctx: click.Context, **values: Any) -> None:
        option_names.set(option_names_of(model))
        command = parse(model, **given(values))
        result = ctx.obj.ledger().execute(command)
        if model is Apply:
            position, created = result
            done = _(model.done) if created else _("unchanged (already applied)")
            click.echo(f"{done} {summary(position, None)}")
            return
        click.echo(f"{_(model.done)} {summary(result, command.touched_year())}")

    return ModelCommand(model.name, model, callback=run)


class _Built(Mapping[str, click.Command]):
    """The caseworker commands by name, each built when first asked for: `grants grant` builds
    its own options, not every command's (~1 ms each)."""

    def __init__(self) -> None:
        self._built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            self._built[name] = decision_command(MODELS[name])  # KeyError: not a caseworker command
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(MODELS)

    def __len__(self) -> int:
        return len(MODELS)


COMMANDS = _Built()
