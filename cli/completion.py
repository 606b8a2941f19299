"""Shell completion of values (bash, zsh and fish through click's `_GRANTS_COMPLETE`; README).

Schemes, offices and kommuner come from the reference data; refs from the ledger's `Applied`
events. A completer never prints and never fails: without a ledger (or without access to it)
it offers nothing, and it never creates one.
"""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

MAX_REFS = 500  # a shell shows no more usefully
DB_META = "grants.db"  # where --db given after a subcommand is kept for the completers


def complete_scheme(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from grants.domain import rules
    from grants.domain.i18n import _

    return [CompletionItem(s, help=_(rules.scheme(s).title)) for s in rules.scheme_ids() if s.startswith(incomplete)]


def complete_office(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from grants.domain.kommuner import OFFICE_NAMES

    return [CompletionItem(office, help=name) for office, name in sorted(OFFICE_NAMES.items())
            if office.startswith(incomplete.lower())]


def complete_kommune(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Numbers with the name as help (`3401  Kongsvinger`); letters complete names."""
    from grants.domain.i18n import _
    from grants.domain.kommuner import every_kommune

    if incomplete and not incomplete.isdigit():
        named = {(k.name, k.number) for k in every_kommune() if k.name.casefold().startswith(incomplete.casefold())}
        return [CompletionItem(name, help=number) for name, number in sorted(named)]
    return [CompletionItem(k.number, help=k.name if k.valid_to is None else _("{name} (until {year})").format(
        name=k.name, year=k.valid_to))
            for k in every_kommune() if k.number.startswith(incomplete)]


def complete_ref(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The refs of the ledger that start with `incomplete`; nothing when there is no ledger."""
    try:
        return [CompletionItem(ref) for ref in _refs(ctx, incomplete)]
    except Exception:  # noqa: BLE001 - completion must never disturb the shell
        return []


def _refs(ctx: click.Context, prefix: str) -> list[str]:
    import os

    from grants.domain.actor import current_actor
    from grants.domain.position import GrantPosition
    from grants.ledger.application import GrantsLedger

    url = ctx.meta.get(DB_META) or ctx.find_root().params.get("url")
    ledger = GrantsLedger(url)  # opening never creates a ledger: a missing one raises
    token = current_actor.set(os.environ.get("GRANTS_ACTOR") or ledger.default_actor())  # as Context.ledger
    try:
        ledger.require_user()  # only the ledger's users may see its refs
        topics, head, after, found = (GrantPosition.Applied.TOPIC,), ledger.head(), 0, set()
        while batch := ledger.read_log(after, 1000, head, topics):
            found.update(e.ref for _, e in batch if e.ref.startswith(prefix))
            after = batch[-1][0]
        return sorted(found)[:MAX_REFS]
    finally:
        current_actor.reset(token)
        ledger.close()
