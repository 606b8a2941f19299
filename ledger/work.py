"""The unit of work: the aggregates one command (or one batch) reads and changes, in memory
until the ledger stores them together."""

from grants.domain import commands as c
from grants.domain.errors import NotFound, RuleRefused
from grants.domain.frame import BudgetFrame
from grants.domain.kommuner import lookup
from grants.domain.position import GrantPosition


class UnitOfWork:
    """The aggregates one command (or one batch) reads and changes, kept in memory until stored."""

    def __init__(self, ledger):
        self.ledger = ledger
        self.access = ledger.access()
        self.positions: dict[str, GrantPosition] = {}
        self.frames: dict[tuple, BudgetFrame | None] = {}
        self.absent: set[str] = set()  # refs known to have no events yet

    def prefetch_absent(self, commands) -> None:
        """One query for the refs a batch applies for, instead of one read each."""
        ids = {GrantPosition.create_id(cmd.ref): cmd.ref for cmd in commands if isinstance(cmd, c.Apply)}
        present = self.ledger.recorder.existing(ids)
        self.absent = {ref for oid, ref in ids.items() if oid not in present}

    def changed(self) -> list:
        return [a for a in [*self.positions.values(), *self.frames.values()]
                if a is not None and a._pending_events]

    def position(self, ref: str) -> GrantPosition:
        if ref not in self.positions:
            if ref in self.absent:
                raise NotFound(f"ref: no position {ref!r}")
            self.positions[ref] = self.ledger.position(ref)
        return self.positions[ref]

    def frame(self, office: str, scheme: str, year: int) -> BudgetFrame | None:
        key = (office, scheme, year)
        if key not in self.frames:
            self.frames[key] = self.ledger.frame(office, scheme, year)
        return self.frames[key]

    def run(self, cmd: c.Command):
        if isinstance(cmd, c.Apply):
            return self.apply_for(cmd)
        position = self.position(cmd.ref)
        if self.access is not None:
            self.access.require_write(position.office, cmd.ref)
        before = {year: funded.amount for year, funded in position.years.items()}
        DECISIONS[type(cmd)](position, cmd)
        self._commit_to_frames(position, before, getattr(cmd, "over_frame", False), getattr(cmd, "reason", None))
        return position

    def apply_for(self, cmd: c.Apply) -> tuple[GrantPosition, bool]:
        """Record an application; a retry with the same data changes nothing (returns False)."""
        kommune = lookup(cmd.kommune, cmd.year)
        if self.access is not None:
            self.access.require_write(kommune.office, cmd.ref)
        fields = dict(kommunenummer=kommune.number, scheme=cmd.scheme, title=cmd.title, fte=cmd.fte,
                      first_year=cmd.year, wage_cost=cmd.wage_cost, focus=cmd.focus,
                      partners=list(cmd.partners))
        try:
            existing = self.position(cmd.ref)
        except NotFound:
            existing = None
        if existing is not None:
            if existing.same_application(**fields):
                return existing, False
            raise RuleRefused(f"ref: {cmd.ref!r} is already used for a different application")
        position = GrantPosition.apply_for(ref=cmd.ref, kommune=kommune, scheme_id=cmd.scheme,
                                           title=cmd.title, fte=cmd.fte, year=cmd.year,
                                           received=cmd.received, wage_cost=cmd.wage_cost,
                                           focus=cmd.focus, partners=cmd.partners)
        self.positions[cmd.ref] = position
        return position, True

    def _commit_to_frames(self, position, before: dict[int, int], over_frame, reason) -> None:
        """Count money granted (or released by a reduction) against the office's frame, if one is set."""
        for year, funded in position.years.items():
            delta = funded.amount - before.get(year, 0)
            frame = self.frame(position.office, position.scheme, year) if delta else None
            if frame is not None:
                frame.commit(ref=position.ref, delta=delta, over_frame=over_frame, reason=reason)


DECISIONS = {
    c.Grant: lambda p, cmd: p.grant(
        year=cmd.year, ladder_year=cmd.ladder_year, amount=cmd.amount, decided=cmd.decided,
        reason=cmd.reason, over_frame=cmd.over_frame, pre_project=cmd.pre_project),
    c.Reject: lambda p, cmd: p.reject(reason=cmd.reason, decided=cmd.decided),
    c.Advance: lambda p, cmd: p.advance(
        year=cmd.year, amount=cmd.amount, decided=cmd.decided, reason=cmd.reason, over_frame=cmd.over_frame),
    c.ReduceFte: lambda p, cmd: p.reduce_fte(fte=cmd.fte, effective=cmd.effective, reason=cmd.reason),
    c.Report: lambda p, cmd: p.report(
        year=cmd.year, spent=cmd.spent, fte_filled=cmd.fte_filled, self_financing=cmd.self_financing,
        attested=cmd.attested, received=cmd.received, correction=cmd.correction, reason=cmd.reason),
    c.Terminate: lambda p, cmd: p.terminate(cause=cmd.cause, reason=cmd.reason, effective=cmd.effective),
}
