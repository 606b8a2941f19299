"""Caseworker commands, one per command model in grants.domain.commands (generated, not written)."""

from __future__ import annotations

from typing import Any

import click

from grants.cli.main import option_names
from grants.cli.options import given, help_of, option_names_of, parameters_for, short_help_of
from grants.cli.views import summary
from grants.domain.commands import COMMANDS, Apply, parse


def decision_command(model: Any) -> click.Command:
    @click.pass_context
    def run(ctx: click.Context, **values: Any) -> None:
        option_names.set(option_names_of(model))
        command = parse(model, **given(values))
        result = ctx.obj.ledger().execute(command)
        if model is Apply:
            position, created = result
            click.echo(("applied " if created else "unchanged (already applied) ") + summary(position, None))
            return
        click.echo(f"{model.done} {summary(result, command.touched_year())}")

    return click.Command(model.name, callback=run, params=parameters_for(model), help=help_of(model),
                         short_help=short_help_of(model))


COMMANDS = {name: decision_command(model) for name, model in COMMANDS.items()}
