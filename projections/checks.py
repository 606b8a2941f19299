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

from grants.domain.money import format_kroner as kr
from grants.domain.position import ACTIVE

KINDS: dict[str, str] = {
    "chain": "the hash chain does not verify (an event altered, deleted, inserted or reordered)",
    "read-models": "a read-model table differs from the log, or lags it",
    "still-active": "a position still active after its last fundable year (four-year rule, wind-down)",
    "wind-down": "a transitional position funded or terminated after the wind-down",
    "missing-report": "a funded year whose report is past its deadline and not received",
    "late-report": "a report received after its deadline",
    "self-financing": "wage cost above the grant without documented self-financing",
    "not-auditor-attested": "a report that needs an auditor's attestation and has none",
    "to-reclaim": "unspent money to reclaim with no repayment recorded",
    "late-application": "an application received after its deadline",
    "no-permanence-plan": "an application without the plan for permanence its scheme asks for",
    "advanced-without-report": "a position advanced into a year with no report for the year before",
    "share-not-growing": "a grant stepped down while the kommune's own share did not grow",
    "frame-exceeded": "an office's budget frame exceeded by the sum granted",
    "appropriation-exceeded": "the office frames of a scheme and year add up to more than its national appropriation",
    "deviation-without-reason": "a decision that departs from the rules (ladder placement, over-frame "
                                "grant, amount other than the rule's) without a reason",
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
    if min(tracked.values()) < head or len(set(tracked.values())) > 1:
        behind = head - min(tracked.values())
        return [Finding("-", "read-models", f"the read models are {behind} events behind the log "
                                            "(run grants projections follow, or a report, as the application role)")]
    if max(tracked.values()) > head:
        return [Finding("-", "read-models", f"the read models claim event {max(tracked.values())}, "
                                            f"but the log ends at {head}")]
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
            found.append(Finding(ref, "read-models", f"{where}: row missing from the table"))
        elif want is None:
            found.append(Finding(ref, "read-models", f"{where}: row in the table that the log does not give"))
        else:
            changed = [f"{k} {have[k]!r} in the table, {want[k]!r} from the log" for k in want if have[k] != want[k]]
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

    _, violations = queries.winddown(engine, today)
    found = []
    flagged = set()
    for v in violations:  # every wind-down violation, a transitional position still active included
        flagged.add(v["ref"])
        found.append(Finding(v["ref"], "wind-down", v["problem"]))
    for p in queries.expiry(engine):
        if p["status"] == ACTIVE and p["last_fundable"] < today.year and p["ref"] not in flagged:
            found.append(Finding(p["ref"], "still-active",
                                 f"{p['scheme']} last fundable year {p['last_fundable']}, still active on {today} "
                                 "(terminate it)"))
    return found


def _compliance(engine: Any, today: date) -> list[Finding]:
    from grants.projections import reports as queries

    found = []
    for issue in queries.compliance(engine, today):
        detail = f"{issue['year']}: {issue['detail']}"
        if issue["issue"] == "to-reclaim":
            detail += "; no repayment recorded"
        found.append(Finding(issue["ref"], issue["issue"], detail))
    return found


def _frames(engine: Any) -> list[Finding]:
    from grants.projections import reports as queries

    found = []
    for f in queries.frames(engine):
        if f["appropriation"] is not None:  # the national row: every office's frame against the bevilgning
            if f["unallocated"] < 0:
                found.append(Finding(f"national/{f['scheme']}/{f['year']}", "appropriation-exceeded",
                                     f"office frames {kr(f['frame'])} against an appropriation of "
                                     f"{kr(f['appropriation'])}, {kr(-f['unallocated'])} over"))
        elif f["granted"] > f["frame"]:
            decided = f["over_frame_grants"]
            overrides = f" ({decided} granted over the frame by decision)" if decided else ""
            found.append(Finding(f"{f['office']}/{f['scheme']}/{f['year']}", "frame-exceeded",
                                 f"granted {kr(f['granted'])} against a frame of {kr(f['frame'])}, "
                                 f"{kr(f['granted'] - f['frame'])} over{overrides}"))
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
        for _, e in batch:
            if isinstance(e, GrantPosition.Applied):
                refs[e.originator_id] = e.ref
                continue
            if e.reason:
                continue
            ref = refs.get(e.originator_id, str(e.originator_id))
            rule_amount = getattr(e, "rule_amount", None)
            if isinstance(e, GrantPosition.Granted) and e.ladder_year > 1:
                found.append(Finding(ref, "deviation-without-reason",
                                     f"{e.year}: placed on ladder year {e.ladder_year}"))
            if e.over_frame:
                found.append(Finding(ref, "deviation-without-reason", f"{e.year}: granted over the frame"))
            if rule_amount is not None and rule_amount != e.amount:
                found.append(Finding(ref, "deviation-without-reason",
                                     f"{e.year}: amount {kr(e.amount)} instead of the rule's {kr(rule_amount)}"))
        after = batch[-1][0]
    return found
