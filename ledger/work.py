"""The unit of work: the aggregates one command (or one batch) reads and changes, in memory
until the ledger stores them together in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from grants.domain.commands import Apply  # a unit of work runs commands: their models are loaded anyway
from grants.domain.errors import NotFound, RuleRefused
from grants.domain.i18n import _
from grants.domain.ids import frame_id
from grants.domain.kommuner import KOMMUNENUMMER, lookup
from grants.domain.position import GrantPosition

if TYPE_CHECKING:
    from grants.domain.commands import Command
    from grants.domain.frame import BudgetFrame
    from grants.ledger.application import GrantsLedger


class UnitOfWork:
    """Runs commands against positions and budget frames kept in memory until stored."""

    def __init__(self, ledger: GrantsLedger, today: Callable[[], date]):
        self.ledger = ledger
        self.clock = today
        self._today: date | None = None
        self.access = ledger.access()
        self.positions: dict[str, GrantPosition] = {}
        self.frames: dict[tuple[str, str, int], BudgetFrame | None] = {}
        self.absent: set[str] = set()  # refs known to have no events yet
        self.touched: dict[UUID, Any] = {}  # id -> aggregate a command changed since the last take

    def prefetch_absent(self, refs: Iterable[str]) -> None:
        """One query for the refs a batch applies for, instead of one read each."""
        ids = {GrantPosition.create_id(ref): ref for ref in refs}
        present = self.ledger.recorder.existing(ids)
        self.absent = {ref for oid, ref in ids.items() if oid not in present}

    def today(self) -> date:
        """The edge's date, read once per unit of work: a batch's lines share one today."""
        if self._today is None:
            self._today = self.clock()
        return self._today

    def changed(self) -> list[Any]:
        every = [*self.positions.values(), *self.frames.values()]
        return [a for a in every if a is not None and a._pending_events]

    def take_changed(self) -> list[Any]:
        """The aggregates changed since the last take, in the order they were first changed (a
        batch hands its events to the store in parts as it decides: see ledger/batch_writer.py)."""
        taken = [a for a in self.touched.values() if a._pending_events]
        self.touched = {}
        return taken

    def position(self, ref: str) -> GrantPosition:
        if ref not in self.positions:
            if ref in self.absent:
                raise NotFound("ref: " + _("no position {ref}").format(ref=repr(ref)))
            self.positions[ref] = self.ledger.position(ref)
        return self.positions[ref]

    def run(self, cmd: Command) -> Any:
        """Decide one command: the model names the aggregate method and carries its arguments."""
        if isinstance(cmd, Apply):
            return self.apply_for(cmd)
        position = self.position(cmd.ref)
        if self.access is not None:
            self.access.require_write(position.office, cmd.ref)
        cmd = cmd.with_dates(position, self.today)
        given = cmd.__dict__  # the fields this command has
        named = given.get("kommune")
        if named is not None and not KOMMUNENUMMER.fullmatch(named):  # a name: its number in the command's year
            year = cmd.touched_year() or position.last_year or position.first_year
            cmd = replace(cmd, **{"kommune": lookup(named, year).number})  # a dict: `Command` names no kommune
        before = {year: funded.amount for year, funded in position.years.items()}
        getattr(position, cmd.method)(**cmd.arguments())
        self.touched[position.id] = position
        # An excess is named by the option the money came from: the amount given, else the year.
        money_from = "amount" if given.get("amount") is not None else "year"
        self._commit_to_frames(position, before, given.get("over_frame", False), given.get("reason"), money_from)
        return position

    def apply_for(self, cmd: Apply) -> tuple[GrantPosition, bool]:
        """Record an application; a retry with the same data changes nothing (returns False)."""
        kommune = lookup(cmd.kommune, cmd.year)
        if self.access is not None:
            self.access.require_write(kommune.office, cmd.ref)
        try:
            existing = self.position(cmd.ref)
        except NotFound:
            existing = None
        if existing is not None:
            fields = dict(kommunenummer=kommune.number, scheme=cmd.scheme, title=cmd.title, fte=cmd.fte,
                          first_year=cmd.year, wage_cost=cmd.wage_cost, focus=cmd.focus,
                          partners=list(cmd.partners), permanence_plan=cmd.permanence_plan,
                          other_costs=cmd.other_costs)
            if cmd.received is not None:  # a date given differs; one left out (today, on a retry) does not
                fields["received"] = cmd.received
            if existing.same_application(**fields):
                return existing, False
            raise RuleRefused("ref: " + _("{ref} is already used for a different application").format(
                ref=repr(cmd.ref)))
        cmd = cmd.with_dates(None, self.today)
        position = GrantPosition.apply_for(ref=cmd.ref, **{**cmd.arguments(), "kommune": kommune})
        self.positions[cmd.ref] = self.touched[position.id] = position
        return position, True

    def frame(self, office: str, scheme: str, year: int) -> BudgetFrame | None:
        key = (office, scheme, year)
        if key not in self.frames:
            self.frames[key] = self.ledger.frame(office, scheme, year)
        return self.frames[key]

    def frames_assumed_absent(self) -> list[UUID]:
        """Frames this work found missing: storing it asserts they are still missing, so a frame
        set meanwhile makes the grant conflict (exit 3) instead of going uncounted."""
        return [frame_id(*key) for key, frame in self.frames.items() if frame is None]

    def _commit_to_frames(self, position: GrantPosition, before: dict[int, int], over_frame: bool,
                          reason: str | None, money_from: str) -> None:
        """Count money granted (or released by a reduction) against the office's frame, if one is set."""
        for year, funded in position.years.items():
            delta = funded.amount - before.get(year, 0)
            frame = self.frame(position.office, position.scheme, year) if delta else None
            if frame is not None:
                frame.commit(ref=position.ref, delta=delta, over_frame=over_frame, reason=reason, field=money_from)
                self.touched[frame.id] = frame
