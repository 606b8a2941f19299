"""Pure folds: rows (plain dicts) + one domain event -> rows. No database here.

A position's events touch only that position's rows, so a batch loads the rows of the positions
it touches, folds its events over them and hands the changed rows to the writer.
"""

from dataclasses import dataclass, field

from grants.domain.money import YearMoney
from grants.domain.status import ACTIVE, APPLIED, REJECTED, TERMINATED


@dataclass
class PositionRows:
    position: dict | None = None
    years: dict[int, dict] = field(default_factory=dict)


def fold_position(rows: PositionRows, domain_event) -> PositionRows:
    kind = type(domain_event)
    try:
        handler = _HANDLER_OF_CLASS[kind]
    except KeyError:  # by the class's name, once per class
        handler = _HANDLER_OF_CLASS[kind] = POSITION_HANDLERS.get(kind.__name__)
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
        "received": e.received, "permanence_plan": e.permanence_plan is not None, "other_costs": e.other_costs,
    }


def _year_row(p: dict, year: int, ladder_year: int, fte, rule_id: str) -> dict:
    return {
        "position_id": p["position_id"], "year": year, "ref": p["ref"],
        "kommunenummer": p["kommunenummer"], "office": p["office"], "scheme": p["scheme"],
        "ladder_year": ladder_year, "fte": fte, "rule_id": rule_id,
        "granted_amount": 0, "amount": 0, "over_frame": False, "reports": 0,
        "spent": None, "to_reclaim": None, "fte_filled": None, "self_financing": None,
        "attested": None, "report_received": None, "rule_amount": None, "wage_cost": None, "paid": None,
        "entitlement": None, "carried_in": 0, "carried_out": 0, "own_money": None, "advanced_unreported": None,
    }


def _funded(rows, e):
    p = rows.position
    previous = max((y for y in rows.years if y < e.year and rows.years[y]["granted_amount"]), default=None)
    if p["first_funded_year"] is None:
        p["first_funded_year"], p["first_ladder_year"] = e.year, e.ladder_year
    wage_cost = e.wage_cost if e.wage_cost is not None else p["wage_cost"]
    p.update(status=ACTIVE, last_funded_year=e.year, ladder_year=e.ladder_year, fte=e.fte, wage_cost=wage_cost)
    row = rows.years.get(e.year) or _year_row(p, e.year, e.ladder_year, e.fte, e.rule_id)  # money carried in first
    row.update(ladder_year=e.ladder_year, fte=e.fte, rule_id=e.rule_id, granted_amount=e.amount, amount=e.amount,
               over_frame=e.over_frame, rule_amount=e.rule_amount, wage_cost=wage_cost,
               kommunenummer=p["kommunenummer"],
               advanced_unreported=previous if previous is not None and rows.years[previous]["reports"] == 0 else None)
    rows.years[e.year] = row


def _reduced(rows, e):
    rows.position["fte"] = e.to_fte
    rows.years[e.year].update(amount=e.new_amount, fte=e.to_fte)
    if getattr(e, "new_rule_amount", None) is not None:  # the rule's amount beside a discretionary one
        rows.years[e.year]["rule_amount"] = e.new_rule_amount


def _settle(year: dict) -> None:
    """to_reclaim and own money of a reported year from its facts (see domain YearMoney)."""
    if not year["reports"]:
        return
    money = YearMoney(year["paid"], year["carried_in"], year["carried_out"], year["entitlement"], year["spent"])
    year.update(to_reclaim=money.to_reclaim, own_money=money.own_money)


def _reported(rows, e):
    year = rows.years[e.year]
    entitlement = e.entitlement if e.entitlement is not None else year["amount"]  # older reports: the amount
    year.update(reports=year["reports"] + 1, spent=e.spent, fte_filled=e.fte_filled,
                self_financing=e.self_financing, attested=e.attested, report_received=e.effective,
                paid=year["amount"], entitlement=entitlement)
    _settle(year)


def _carried(rows, e):
    source = rows.years[e.from_year]
    source["carried_out"] += e.amount
    _settle(source)
    target = rows.years.get(e.to_year)
    if target is None:  # a year with only carried-in money (e.g. 2026 of the new 765.62 scheme)
        target = _year_row(rows.position, e.to_year, source["ladder_year"], source["fte"], "carry-over")
        rows.years[e.to_year] = target
    target["carried_in"] += e.amount
    _settle(target)


def _kommune_changed(rows, e):
    rows.position["kommunenummer"] = e.to_kommunenummer


def _rejected(rows, e):
    rows.position.update(status=REJECTED, end_cause=REJECTED, end_date=e.effective)


def _terminated(rows, e):
    rows.position.update(status=TERMINATED, end_cause=e.cause, end_date=e.effective)


_HANDLER_OF_CLASS: dict[type, object] = {}
POSITION_HANDLERS = {
    "Applied": _applied, "Granted": _funded, "YearAdvanced": _funded, "FteReduced": _reduced,
    "Reported": _reported, "Rejected": _rejected, "Terminated": _terminated, "CarriedOver": _carried,
    "KommuneChanged": _kommune_changed,
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


def fold_appropriation(row: dict | None, domain_event) -> dict | None:
    name = type(domain_event).__name__
    if name == "AppropriationSet":
        e = domain_event
        return {"appropriation_id": str(e.originator_id), "scheme": e.scheme, "year": e.year, "amount": e.amount,
                "set_by": e.actor, "reason": e.reason}
    if name == "AppropriationRevised":
        return {**row, "amount": domain_event.amount, "set_by": domain_event.actor, "reason": domain_event.reason}
    return row
