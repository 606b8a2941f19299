"""Report queries over the read models. Each returns a list of plain dicts (one per row)."""

from datetime import date

from sqlalchemy import and_, func, or_, select

from grants.domain import rules
from grants.domain.kommuner import find
from grants.domain.money import format_kroner
from grants.domain.position import ACTIVE, TERMINATED
from grants.projections import db

GROUPS = {
    "office": ["office"],
    "kommune": ["kommunenummer", "office"],
    "scheme": ["scheme"],
    "year": [],
}


def _wind_down() -> tuple[str, tuple[int, ...]]:
    """The scheme being wound down and its years, from the rules data (765.62, 2021-2024)."""
    scheme = rules.wound_down_schemes()[0]
    assert scheme.wind_down is not None
    first, last = scheme.wind_down
    return scheme.id, tuple(range(first, last + 1))


def _filters(table, year=None, office=None, kommune=None, scheme=None):
    conditions = []
    if year is not None:
        conditions.append(table.c.year == year)
    if office is not None:
        conditions.append(table.c.office == office)
    if kommune is not None:
        conditions.append(table.c.kommunenummer == kommune)
    if scheme is not None:
        conditions.append(table.c.scheme == scheme)
    return and_(True, *conditions)


def funding(engine, by="office", **filters) -> list[dict]:
    y = db.years
    if by == "position":
        query = (select(y.c.ref, y.c.kommunenummer, y.c.office, y.c.scheme, y.c.year, y.c.ladder_year,
                        y.c.fte, y.c.amount, y.c.spent, y.c.to_reclaim)
                 .where(_filters(y, **filters)).order_by(y.c.year, y.c.office, y.c.ref))
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
    keys = [y.c.year] + [y.c[k] for k in GROUPS[by]]
    query = (select(*keys, func.count().label("positions"), func.sum(y.c.fte).label("fte"),
                    func.sum(y.c.amount).label("amount"),
                    func.coalesce(func.sum(y.c.spent), 0).label("spent"),
                    func.coalesce(func.sum(y.c.to_reclaim), 0).label("to_reclaim"))
             .where(_filters(y, **filters)).group_by(*keys).order_by(*keys))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["amount"], row["spent"], row["to_reclaim"] = int(row["amount"]), int(row["spent"]), int(row["to_reclaim"])
        if by == "kommune":
            kommune = find(row["kommunenummer"])
            row["kommune"] = kommune.name if kommune else None
    return rows


def _positions(engine, *extra, **filters):
    """Funded positions matching the filters and any extra SQL conditions."""
    p = db.positions
    conditions = [p.c.first_funded_year.is_not(None), *extra]
    for key in ("office", "scheme"):
        if filters.get(key) is not None:
            conditions.append(p.c[key] == filters[key])
    if filters.get("kommune") is not None:
        conditions.append(p.c.kommunenummer == filters["kommune"])
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(p).where(and_(*conditions)).order_by(p.c.ref)).mappings()]


def expiry(engine, year=None, **filters) -> list[dict]:
    """Per funded position: first and last fundable year, years left, and the year funding ends."""
    rows = []
    for p in _positions(engine, **filters):
        last_fundable = rules.last_fundable_year(p["scheme"], p["first_funded_year"], p["first_ladder_year"])
        active = p["status"] == ACTIVE
        ends = last_fundable if active else p["last_funded_year"]
        if year is not None and ends != year:
            continue
        rows.append({"ref": p["ref"], "office": p["office"], "kommunenummer": p["kommunenummer"],
                     "scheme": p["scheme"], "status": p["status"], "first_year": p["first_funded_year"],
                     "last_funded": p["last_funded_year"], "last_fundable": last_fundable,
                     "years_left": max(last_fundable - p["last_funded_year"], 0) if active else 0,
                     "ends": ends})
    return rows


def winddown(engine, today: date, **filters) -> tuple[list[dict], list[dict]]:
    """Transitional positions per year 2021-2024, and every position that breaks the wind-down."""
    scheme_id, years = _wind_down()
    y = db.years
    query = (select(y.c.year, func.count().label("positions"), func.sum(y.c.fte).label("fte"),
                    func.sum(y.c.amount).label("amount"))
             .where(_filters(y, scheme=scheme_id, office=filters.get("office"),
                             kommune=filters.get("kommune")), y.c.year >= years[0])
             .group_by(y.c.year).order_by(y.c.year))
    with engine.connect() as conn:
        found = {r["year"]: dict(r) for r in conn.execute(query).mappings()}
    per_year = [found.get(year, {"year": year, "positions": 0, "fte": 0, "amount": 0}) for year in years]
    for row in per_year:
        row["amount"] = int(row["amount"] or 0)
    end = date(years[-1], 12, 31)
    violations = []
    pos = db.positions
    suspects = or_(pos.c.last_funded_year > years[-1], pos.c.end_date > end,
                   and_(pos.c.status == ACTIVE, today > end))  # the SQL narrows, the loop names the problem
    for p in _positions(engine, pos.c.last_funded_year >= years[0], suspects,
                        scheme=scheme_id, office=filters.get("office"), kommune=filters.get("kommune")):
        if p["last_funded_year"] > years[-1]:
            problem = f"funded in {p['last_funded_year']}, after the wind-down"
        elif p["status"] == ACTIVE and today > end:
            problem = f"still active after {years[-1]} (terminate as wound-down)"
        elif p["end_date"] is not None and p["end_date"] > end and p["status"] == TERMINATED:
            problem = f"terminated only on {p['end_date']}, after {years[-1]}"
        else:
            continue
        violations.append({"ref": p["ref"], "office": p["office"], "kommunenummer": p["kommunenummer"],
                           "status": p["status"], "last_funded": p["last_funded_year"], "problem": problem})
    return per_year, violations


def frames(engine, **filters) -> list[dict]:
    f, y = db.frames, db.years
    granted = (select(y.c.office, y.c.scheme, y.c.year, func.sum(y.c.amount).label("granted"),
                      func.sum(func.cast(y.c.over_frame, db.Integer)).label("over_frame_grants"))
               .group_by(y.c.office, y.c.scheme, y.c.year).subquery())
    query = (select(f.c.office, f.c.scheme, f.c.year, f.c.amount.label("frame"), granted.c.granted,
                    granted.c.over_frame_grants, f.c.set_by)
             .select_from(f.outerjoin(granted, and_(granted.c.office == f.c.office,
                                                    granted.c.scheme == f.c.scheme, granted.c.year == f.c.year)))
             .where(_filters(f, **{k: v for k, v in filters.items() if k != "kommune"}))
             .order_by(f.c.year, f.c.office, f.c.scheme))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["granted"] = int(row["granted"] or 0)
        row["over_frame_grants"] = int(row["over_frame_grants"] or 0)
        row["left"] = row["frame"] - row["granted"]
    return rows


def compliance(engine, today: date, **filters) -> list[dict]:
    """Funded years with a missing or late report, undocumented self-financing, money to reclaim,
    and 765.60 reports that are not auditor-attested."""
    y, p = db.years, db.positions
    query = (select(y, p.c.wage_cost).select_from(y.join(p, p.c.position_id == y.c.position_id))
             .where(_filters(y, **filters)).order_by(y.c.year, y.c.office, y.c.ref))
    rows = []
    with engine.connect() as conn:
        for r in conn.execute(query).mappings():
            due = rules.report_due(r["scheme"], r["year"])
            base = {"ref": r["ref"], "year": r["year"], "office": r["office"],
                    "kommunenummer": r["kommunenummer"], "scheme": r["scheme"]}
            for issue, detail in _issues(r, due, today):
                rows.append({**base, "issue": issue, "detail": detail})
    return rows


def _issues(r, due: date, today: date):
    if r["reports"] == 0:
        if today > due:
            yield "missing-report", f"report was due {due}"
        return
    if r["report_received"] > due:
        yield "late-report", f"received {r['report_received']}, due {due}"
    if r["wage_cost"] is not None and r["wage_cost"] > r["amount"]:
        needed = r["wage_cost"] - r["amount"]
        if (r["self_financing"] or 0) < needed:
            yield "self-financing", (f"wage cost exceeds the grant by {format_kroner(needed)}, documented "
                                     f"{format_kroner(r['self_financing'] or 0)}")
    if r["to_reclaim"]:
        yield "to-reclaim", f"{format_kroner(r['to_reclaim'])} unspent of {format_kroner(r['amount'])}"
    if rules.scheme(r["scheme"]).attestation == "auditor" and r["attested"] != "auditor":
        yield "not-auditor-attested", f"{r['scheme']} reports need an auditor's attestation"
