"""A position's events written back as the caseworker commands that record them, in the batch
import's layout (a `command` column and one column per field), so an export can be imported
into another ledger (`grants export --format xlsx`, then `grants import FILE.xlsx`).

Computed values (amounts on ladder schemes, the sum to reclaim) are not commands' input: the
importing ledger computes them again under the rules stored with each event's rule id.
"""

from __future__ import annotations

from typing import Any

from grants.domain import rules
from grants.domain.position import GrantPosition

# event -> (command name, {command field: event attribute}); fields not named here are copied
# from the event attribute of the same name when the command has them.
COMMAND_OF: dict[type, tuple[str, dict[str, str]]] = {
    GrantPosition.Applied: ("apply", {"kommune": "kommunenummer", "year": "first_year"}),
    GrantPosition.Granted: ("grant", {"decided": "effective"}),
    GrantPosition.YearAdvanced: ("advance", {"decided": "effective"}),
    GrantPosition.Rejected: ("reject", {"decided": "effective"}),
    GrantPosition.FteReduced: ("reduce-fte", {"fte": "to_fte"}),
    GrantPosition.Reported: ("report", {"received": "effective"}),
    GrantPosition.Terminated: ("terminate", {}),
    GrantPosition.CarriedOver: ("carry-over", {"decided": "effective"}),
}


def columns() -> list[str]:
    """`command`, `ref`, then every field of every command, each once, in definition order."""
    from grants.domain.commands import COMMANDS, fields_of

    found = ["command", "ref"]
    for model in COMMANDS.values():
        found += [spec.name for spec in fields_of(model) if spec.name not in found]
    return found


def command_row(domain_event: Any, ref: str) -> dict[str, Any] | None:
    """The import line that records this event, or None for an event no command records."""
    from grants.domain.commands import COMMANDS, fields_of

    found = COMMAND_OF.get(type(domain_event))
    if found is None:
        return None
    name, renamed = found
    row: dict[str, Any] = {"command": name, "ref": ref}
    for field_name in (spec.name for spec in fields_of(COMMANDS[name])):
        attribute = renamed.get(field_name, field_name)
        if field_name != "ref" and hasattr(domain_event, attribute):
            row[field_name] = getattr(domain_event, attribute)
    if isinstance(domain_event, GrantPosition._Funding):
        _funding_inputs(domain_event, row)
    return row


def _funding_inputs(domain_event: Any, row: dict[str, Any]) -> None:
    """A ladder amount is computed (unless a discretionary amount was decided beside the rule's),
    an entered amount is input; ladder year 1 is the default and ladder year 0 is a pre-project year."""
    if domain_event.rate is not None and getattr(domain_event, "rule_amount", None) is None:
        row.pop("amount", None)
    if "ladder_year" in row:
        ladder_year = row.pop("ladder_year")
        if ladder_year == 0:
            row["pre_project"] = True
        elif ladder_year > 1:
            row["ladder_year"] = ladder_year
    for flag in ("over_frame", "pre_project", "correction"):
        if row.get(flag) is False:
            row.pop(flag)


def command_rows(events: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """Import lines for events in recording order, and how many events have no command form."""
    refs: dict[Any, str] = {}
    schemes: dict[Any, str] = {}
    last: dict[Any, tuple[int, int]] = {}  # position -> (latest funded year, its ladder year)
    successor: dict[Any, str] = {}  # position -> the kommune code its next advance moves to
    rows, skipped = [], 0
    for domain_event in events:
        oid = domain_event.originator_id
        if isinstance(domain_event, GrantPosition.Applied):
            refs[oid], schemes[oid] = domain_event.ref, domain_event.scheme
        ref = refs.get(oid)
        if ref is None:
            continue  # not a position's event (frames, users)
        if isinstance(domain_event, GrantPosition.KommuneChanged):
            successor[oid] = domain_event.to_kommunenummer  # recorded by the advance that follows
            continue
        row = command_row(domain_event, ref)
        if row is None:
            skipped += 1
            continue
        if isinstance(domain_event, GrantPosition.YearAdvanced):
            _advance_inputs(domain_event, row, last.get(oid), successor.pop(oid, None))
        if isinstance(domain_event, GrantPosition.FteReduced) and domain_event.rescaled and not (
                rules.scheme(schemes[oid]).fte_change_rescales):  # asked for: a team grant keeps it else
            row["rescale"] = True
        if isinstance(domain_event, GrantPosition._Funding):
            last[oid] = (domain_event.year, domain_event.ladder_year)
        rows.append(row)
    return rows, skipped


def _advance_inputs(domain_event: Any, row: dict[str, Any], previous: tuple[int, int] | None,
                    kommune: str | None) -> None:
    """An advance names its ladder year only when it places the position anew (funding resumed),
    and its kommune only when a reform moved the position to a successor."""
    row.pop("ladder_year", None)
    if previous is not None and domain_event.ladder_year != previous[1] + 1:
        row["ladder_year"] = domain_event.ladder_year
    if kommune is not None:
        row["kommune"] = kommune
