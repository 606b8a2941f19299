"""Caseworker commands, one per command model in grants.domain.commands (generated, not written)."""

from __future__ import annotations

from typing import Any

import click

from grants.cli.main import option_names
from grants.cli.options import ModelCommand, given, option_names_of
from grants.cli.views import summary
from grants.domain.commands import COMMANDS, Apply, parse
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


COMMANDS = {name: decision_command(model) for name, model in COMMANDS.items()}
