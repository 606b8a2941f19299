"""The ledger application: a few lines per service (get, decide, record)."""

from collections.abc import Callable
from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Transcoder, Transcoding

from domain import commands as c
from domain.errors import ConcurrentChange, NotFound, RuleRefused
from domain.kommuner import lookup
from domain.position import GrantPosition
from ledger.config import eventsourcing_env, resolve_url


class DateAsISO(Transcoding):
    """Business dates are plain dates (no time, no zone) in the stored events."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class GrantsLedger(Application):
    name = "Grants"  # PostgreSQL table "grants_events"

    def __init__(self, url: str | None = None):
        self.url = resolve_url(url)
        super().__init__(eventsourcing_env(self.url))

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- reading ------------------------------------------------------------------------------

    def position(self, ref: str, version: int | None = None) -> GrantPosition:
        try:
            return self.repository.get(GrantPosition.create_id(ref), version=version)
        except AggregateNotFoundError:
            raise NotFound(f"ref: no position {ref!r}") from None

    def position_as_of(self, ref: str, moment: datetime) -> GrantPosition:
        """The position as the ledger knew it at `moment` (by recorded time, UTC)."""
        version = None
        for domain_event in self.events_of(ref):
            if domain_event.timestamp > moment:
                break
            version = domain_event.originator_version
        if version is None:
            raise NotFound(f"ref: position {ref!r} was not yet recorded at {moment.isoformat()}")
        return self.position(ref, version=version)

    def events_of(self, ref: str) -> list:
        found = list(self.events.get(GrantPosition.create_id(ref)))
        if not found:
            raise NotFound(f"ref: no position {ref!r}")
        return found

    # --- deciding -----------------------------------------------------------------------------

    def apply_for(self, cmd: c.Apply) -> tuple[GrantPosition, bool]:
        """Record an application; a retry with the same data changes nothing (returns False)."""
        kommune = lookup(cmd.kommune, cmd.year)
        fields = dict(kommunenummer=kommune.number, scheme=cmd.scheme, title=cmd.title, fte=cmd.fte,
                      first_year=cmd.year, wage_cost=cmd.wage_cost, focus=cmd.focus,
                      partners=list(cmd.partners))
        try:
            existing = self.position(cmd.ref, version=1)
        except NotFound:
            existing = None
        if existing is not None:
            if existing.same_application(**fields):
                return self.position(cmd.ref), False
            raise RuleRefused(f"ref: {cmd.ref!r} is already used for a different application")
        position = GrantPosition.apply_for(ref=cmd.ref, kommune=kommune, scheme_id=cmd.scheme,
                                           title=cmd.title, fte=cmd.fte, year=cmd.year,
                                           received=cmd.received, wage_cost=cmd.wage_cost,
                                           focus=cmd.focus, partners=cmd.partners)
        self._store(position)
        return position, True

    def grant(self, cmd: c.Grant) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.grant(
            year=cmd.year, ladder_year=cmd.ladder_year, amount=cmd.amount, decided=cmd.decided,
            reason=cmd.reason, over_frame=cmd.over_frame, pre_project=cmd.pre_project))

    def reject(self, cmd: c.Reject) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.reject(reason=cmd.reason, decided=cmd.decided))

    def advance(self, cmd: c.Advance) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.advance(
            year=cmd.year, amount=cmd.amount, decided=cmd.decided, reason=cmd.reason,
            over_frame=cmd.over_frame))

    def reduce_fte(self, cmd: c.ReduceFte) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.reduce_fte(
            fte=cmd.fte, effective=cmd.effective, reason=cmd.reason))

    def report(self, cmd: c.Report) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.report(
            year=cmd.year, spent=cmd.spent, fte_filled=cmd.fte_filled,
            self_financing=cmd.self_financing, attested=cmd.attested, received=cmd.received,
            correction=cmd.correction, reason=cmd.reason))

    def terminate(self, cmd: c.Terminate) -> GrantPosition:
        return self._change(cmd.ref, lambda p: p.terminate(
            cause=cmd.cause, reason=cmd.reason, effective=cmd.effective))

    def execute(self, cmd: c.Command):
        """Run any command model (the CLI and batch import share this)."""
        return SERVICES[type(cmd)](self, cmd)

    def _change(self, ref: str, decide: Callable[[GrantPosition], None]) -> GrantPosition:
        position = self.position(ref)
        decide(position)
        self._store(position)
        return position

    def _store(self, *positions: GrantPosition) -> None:
        try:
            self.save(*positions)
        except IntegrityError:
            raise ConcurrentChange(
                "position changed by someone else while this command ran; nothing was written, re-run") from None


SERVICES = {
    c.Apply: GrantsLedger.apply_for, c.Grant: GrantsLedger.grant, c.Reject: GrantsLedger.reject,
    c.Advance: GrantsLedger.advance, c.ReduceFte: GrantsLedger.reduce_fte,
    c.Report: GrantsLedger.report, c.Terminate: GrantsLedger.terminate,
}
