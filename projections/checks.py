"""The checks behind `grants check`: read models against the log, and every rule check over the
read models and the log. Each returns findings (ref, kind, detail), all of them at once.

Kinds and exit codes: docs/audit.md, "grants check". Amounts in details are whole kroner.
SQLAlchemy is imported by the checks that query, not with the kinds (`grants --help` lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from grants.domain.i18n import N_, _
from grants.domain.money import format_kroner as kr
from grants.domain.status import ACTIVE

# Each kind (a stable code, the same in every language) and what it means (translated where shown).
KINDS: dict[str, str] = {
    "chain": N_("the hash chain does not verify (an event altered, deleted, inserted or reordered)"),
    "read-models": N_("a read-model table differs from the log, or lags it"),
    "still-active": N_("a position still active after its last fundable year (four-year rule, wind-down)"),
    "wind-down": N_("a transitional position funded or terminated after the wind-down"),
    "missing-report": N_("a funded year whose report is past its deadline and not received"),
    "late-report": N_("a report received after its deadline"),
    "self-financing": N_("wage cost above the grant without documented self-financing"),
    "not-auditor-attested": N_("a report that needs an auditor's attestation and has none"),
    "to-reclaim": N_("unspent money to reclaim with no repayment recorded"),
    "late-application": N_("an application received after its deadline"),
    "no-permanence-plan": N_("an application without the plan for permanence its scheme asks for"),
    "advanced-without-report": N_("a position advanced into a year with no report for the year before"),
    "share-not-growing": N_("a grant stepped down while the kommune's own share did not grow"),
    "frame-exceeded": N_("an office's budget frame exceeded by the sum granted"),
    "appropriation-exceeded": N_("the office frames of a scheme and year add up to more than its national "
                                 "appropriation"),
    "deviation-without-reason": N_("a decision that departs from the rules (ladder placement, over-frame "
                                   "grant, amount other than the rule's) without a reason"),
}
INTEGRITY = frozenset({"chain", "read-models"})
COMPLIANCE_KINDS = ("late-application", "no-permanence-plan", "advanced-without-report", "missing-report",
                    "late-report", "self-financing", "share-not-growing", "not-auditor-attested", "to-reclaim")


@dataclass(frozen=True)
class Finding:
    ref: str  # the position's case reference, or office/scheme/year for a frame, "-" for the ledger
    kind: str
    detail: str


# --- read models -------------------------------------------------------------------------------

class _Prefix:
    """The log up to a notification id: replaying it gives what the tables should hold."""

    def __init__(self, ledger: Any, stop: int):
        self.ledger, self.stop = ledger, stop

    def head(self) -> int:
        return self.stop

    def read_log(self, after: int, limit: int, stop: int, topics: tuple = ()) -> list:
        return self.ledger.read_log(after, limit, min(stop, self.stop), topics)


def read_model_findings(ledger: Any, engine: Any) -> list[Finding]:
    """Every read-model row that differs from a replay of the log up to the tables' position.

    Swappable: when `grants projections check` (its own library function) lands, this becomes a
    call to it."""
    from grants.projections import db
    from grants.projections.db import engine_for
    from grants.projections.runner import Runner

    tracked = Runner(engine, ledger).tracked()
    head = ledger.head()
    if max(tracked.values()) > head:  # first: one table ahead and another current is not "behind"
        return [Finding("-", "read-models", _("the read models claim event {claimed}, but the log ends at {head}")
                        .format(claimed=max(tracked.values()), head=head))]
    if min(tracked.values()) < head:
        behind = head - min(tracked.values())
        return [Finding("-", "read-models", _(
            "the read models are {behind} events behind the log (run grants projections follow, or a report, as "
            "the application role)").format(behind=behind))]
    replay = Runner(engine_for("sqlite://"), _Prefix(ledger, head))
    replay.catch_up()
    findings = []
    for tables in db.VIEW_TABLES.values():
        for table in tables:
            findings += _differences(table, _rows(engine, table), _rows(replay.engine, table))
    replay.engine.dispose()
    return findings


def _rows(engine: Any, table: Any) -> dict[tuple, dict]:
    from sqlalchemy import select

    keys = [c.name for c in table.primary_key.columns]
    with engine.connect() as conn:
        return {tuple(r[k] for k in keys): {k: _plain(v) for k, v in r.items()}
                for r in conn.execute(select(table)).mappings()}


def _plain(value: Any) -> Any:
    return value.normalize() if isinstance(value, Decimal) else value


def _differences(table: Any, stored: dict, replayed: dict) -> list[Finding]:
    found = []
    for key in sorted(set(stored) | set(replayed), key=str):
        have, want = stored.get(key), replayed.get(key)
        row = have or want
        ref = row.get("ref") or "/".join(str(row.get(k)) for k in ("office", "scheme", "year"))
        where = f"{table.name} {ref}" + (f" {row['year']}" if "year" in row and "ref" in row else "")
        if have is None:
            found.append(Finding(ref, "read-models", f"{where}: " + _("row missing from the table")))
        elif want is None:
            found.append(Finding(ref, "read-models", f"{where}: " + _("row in the table that the log does not give")))
        else:
            changed = [_("{column} {stored} in the table, {folded} from the log").format(
                column=k, stored=repr(have[k]), folded=repr(want[k])) for k in want if have[k] != want[k]]
            if changed:
                found.append(Finding(ref, "read-models", f"{where}: " + "; ".join(changed)))
    return found


# --- rules -------------------------------------------------------------------------------------

def rule_findings(engine: Any, source: Any, today: date, kinds: set[str]) -> list[Finding]:
    """The rule checks of `kinds` on caught-up read models (`engine`) and the log (`source`)."""
    found: list[Finding] = []
    if kinds & {"still-active", "wind-down"}:
        found += [f for f in _lifetime(engine, today) if f.kind in kinds]
    if kinds & set(COMPLIANCE_KINDS):
        found += [f for f in _compliance(engine, today) if f.kind in kinds]
    if kinds & {"frame-exceeded", "appropriation-exceeded"}:
        found += [f for f in _frames(engine) if f.kind in kinds]
    if "deviation-without-reason" in kinds:
        found += deviations(source)
    return found


def _lifetime(engine: Any, today: date) -> list[Finding]:
    from grants.projections import reports as queries

    _per_year, violations = queries.winddown(engine, today)
    found = []
    flagged = set()
    for v in violations:  # every wind-down violation, a transitional position still active included
        flagged.add(v["ref"])
        found.append(Finding(v["ref"], "wind-down", v["problem"]))
    for p in queries.expiry(engine):
        if p["status"] == ACTIVE and p["last_fundable"] < today.year and p["ref"] not in flagged:
            found.append(Finding(p["ref"], "still-active", _(
                "{scheme} last fundable year {last}, still active on {today} (terminate it)").format(
                scheme=p["scheme"], last=p["last_fundable"], today=today)))
    return found


def _compliance(engine: Any, today: date) -> list[Finding]:
    from grants.projections import reports as queries

    found = []
    for issue in queries.compliance(engine, today):
        detail = f"{issue['year']}: {issue['detail']}"
        if issue["issue"] == "to-reclaim":
            detail += _("; no repayment recorded")
        found.append(Finding(issue["ref"], issue["issue"], detail))
    return found


def _frames(engine: Any) -> list[Finding]:
    from grants.projections import reports as queries

    found = []
    for f in queries.frames(engine):
        if f["appropriation"] is not None:  # the national row: every office's frame against the bevilgning
            if f["unallocated"] < 0:
                found.append(Finding(f"national/{f['scheme']}/{f['year']}", "appropriation-exceeded", _(
                    "office frames {frames} against an appropriation of {appropriation}, {over} over").format(
                    frames=kr(f["frame"]), appropriation=kr(f["appropriation"]), over=kr(-f["unallocated"]))))
        elif f["granted"] > f["frame"]:
            decided = f["over_frame_grants"]
            overrides = (_(" ({count} granted over the frame by decision)").format(count=decided)
                         if decided else "")
            found.append(Finding(f"{f['office']}/{f['scheme']}/{f['year']}", "frame-exceeded", _(
                "granted {granted} against a frame of {frame}, {over} over").format(
                granted=kr(f["granted"]), frame=kr(f["frame"]), over=kr(f["granted"] - f["frame"])) + overrides))
    return found


def deviations(source: Any, page: int = 1000) -> list[Finding]:
    """Funding decisions that depart from the rules without a reason, read from the log: a
    position placed above ladder year 1, a grant over the frame, or an amount other than the
    rule's (events that carry a `rule_amount`). The commands refuse these without a reason, so a
    finding means an event that did not pass them."""
    from grants.domain.position import GrantPosition

    topics = (GrantPosition.Applied.TOPIC, GrantPosition.Granted.TOPIC, GrantPosition.YearAdvanced.TOPIC)
    refs: dict[Any, str] = {}
    found, after, head = [], 0, source.head()
    while batch := source.read_log(after, page, head, topics):
        for _notification, e in batch:
            if isinstance(e, GrantPosition.Applied):
                refs[e.originator_id] = e.ref
                continue
            if e.reason:
                continue
            ref = refs.get(e.originator_id, str(e.originator_id))
            rule_amount = getattr(e, "rule_amount", None)
            if isinstance(e, GrantPosition.Granted) and e.ladder_year > 1:
                found.append(Finding(ref, "deviation-without-reason", f"{e.year}: " + _(
                    "placed on ladder year {ladder_year}").format(ladder_year=e.ladder_year)))
            if e.over_frame:
                found.append(Finding(ref, "deviation-without-reason", f"{e.year}: " + _("granted over the frame")))
            if rule_amount is not None and rule_amount != e.amount:
                found.append(Finding(ref, "deviation-without-reason", f"{e.year}: " + _(
                    "amount {amount} instead of the rule's {rule_amount}").format(
                    amount=kr(e.amount), rule_amount=kr(rule_amount))))
        after = batch[-1][0]
    return found
