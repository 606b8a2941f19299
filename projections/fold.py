"""Pure folds: rows (plain dicts) + one domain event -> rows. No database here.

A position's events touch only that position's rows, so a batch loads the rows of the positions
it touches, folds its events over them and hands the changed rows to the writer.
"""

from dataclasses import dataclass, field

from grants.domain.position import ACTIVE, APPLIED, REJECTED, TERMINATED


@dataclass
class PositionRows:
    position: dict | None = None
    years: dict[int, dict] = field(default_factory=dict)


def fold_position(rows: PositionRows, domain_event) -> PositionRows:
    name = type(domain_event).__name__
    handler = POSITION_HANDLERS.get(name)
    if handler is not None:
        handler(rows, domain_event)
        rows.position["version"] = domain_event.originator_version
    return rows


def _applied(rows, e):
    rows.position = {
        "position_id": str(e.originator_id), "ref": e.ref, "kommunenummer": e.kommunenummer,
        "office": e.office, "scheme": e.scheme, "title": e.title, "status": APPLIED,
        "first_year": e.first_year, "fte": e.fte, "wage_cost": e.wage_cost,
        "first_funded_year": None, "first_ladder_year": None, "last_funded_year": None,
        "ladder_year": None, "end_cause": None, "end_date": None, "version": 1,
    }


def _funded(rows, e):
    p = rows.position
    if p["first_funded_year"] is None:
        p["first_funded_year"], p["first_ladder_year"] = e.year, e.ladder_year
    p.update(status=ACTIVE, last_funded_year=e.year, ladder_year=e.ladder_year, fte=e.fte)
    rows.years[e.year] = {
        "position_id": p["position_id"], "year": e.year, "ref": p["ref"],
        "kommunenummer": p["kommunenummer"], "office": p["office"], "scheme": p["scheme"],
        "ladder_year": e.ladder_year, "fte": e.fte, "rule_id": e.rule_id,
        "granted_amount": e.amount, "amount": e.amount, "over_frame": e.over_frame, "reports": 0,
        "spent": None, "to_reclaim": None, "fte_filled": None, "self_financing": None,
        "attested": None, "report_received": None,
    }


def _reduced(rows, e):
    rows.position["fte"] = e.to_fte
    rows.years[e.year].update(amount=e.new_amount, fte=e.to_fte)


def _reported(rows, e):
    year = rows.years[e.year]
    year.update(reports=year["reports"] + 1, spent=e.spent, to_reclaim=e.to_reclaim,
                fte_filled=e.fte_filled, self_financing=e.self_financing, attested=e.attested,
                report_received=e.effective)


def _rejected(rows, e):
    rows.position.update(status=REJECTED, end_cause=REJECTED, end_date=e.effective)


def _terminated(rows, e):
    rows.position.update(status=TERMINATED, end_cause=e.cause, end_date=e.effective)


POSITION_HANDLERS = {
    "Applied": _applied, "Granted": _funded, "YearAdvanced": _funded, "FteReduced": _reduced,
    "Reported": _reported, "Rejected": _rejected, "Terminated": _terminated,
}


def fold_frame(row: dict | None, domain_event) -> dict | None:
    name = type(domain_event).__name__
    if name == "FrameSet":
        e = domain_event
        return {"frame_id": str(e.originator_id), "office": e.office, "scheme": e.scheme, "year": e.year,
                "amount": e.amount, "set_by": e.actor, "reason": e.reason}
    if name == "FrameRevised":
        return {**row, "amount": domain_event.amount, "set_by": domain_event.actor, "reason": domain_event.reason}
    return row
