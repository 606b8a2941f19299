"""Report queries over the read models. Each returns a list of plain dicts (one per row)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, false, func, or_, select

from grants.domain import rules
from grants.domain.i18n import _
from grants.domain.kommuner import OFFICE_IDS, find, lineage
from grants.domain.money import format_kroner as kr
from grants.domain.status import ACTIVE, TERMINATED
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


def _kommune_condition(table, kommune: str):
    """A kommune's rows under its code, its code before or after a renumbering (3001 and 3101), and
    every year of a position that continued under it after a reform (1507's years of a position
    now in 1580): reports group the old and the new codes of one kommune together."""
    moved = select(db.positions.c.position_id).where(db.positions.c.kommunenummer == kommune)
    return or_(table.c.kommunenummer.in_(lineage(kommune)), table.c.position_id.in_(moved))


def _filters(table, year=None, office=None, kommune=None, scheme=None):
    conditions = []
    if year is not None:
        conditions.append(table.c.year == year)
    if office is not None:
        conditions.append(table.c.office == office)
    if kommune is not None:
        conditions.append(_kommune_condition(table, kommune))
    if scheme is not None:
        conditions.append(table.c.scheme == scheme)
    return and_(True, *conditions)


def funding(engine, by="office", **filters) -> list[dict]:
    y = db.years
    if by == "position":
        query = (select(y.c.ref, y.c.kommunenummer, y.c.office, y.c.scheme, y.c.year, y.c.ladder_year,
                        y.c.fte, y.c.amount, y.c.spent, y.c.to_reclaim, y.c.rule_amount, y.c.entitlement,
                        y.c.carried_in, y.c.carried_out, y.c.own_money)
                 .where(_filters(y, **filters)).order_by(y.c.year, y.c.office, y.c.ref))
        with engine.connect() as conn:
            rows = _dicts(conn.execute(query))
        for row in rows:  # a discretionary amount (skjønn) beside the rule's: the deviation
            row["deviation"] = None if row["rule_amount"] is None else row["amount"] - row["rule_amount"]
        return rows
    keys = [y.c.year] + [y.c[k] for k in GROUPS[by]]
    query = (select(*keys, func.count().label("positions"), func.sum(y.c.fte).label("fte"),
                    func.sum(y.c.amount).label("amount"),
                    func.coalesce(func.sum(y.c.spent), 0).label("spent"),
                    func.coalesce(func.sum(y.c.to_reclaim), 0).label("to_reclaim"))
             .where(_filters(y, **filters)).group_by(*keys).order_by(*keys))
    with engine.connect() as conn:
        rows = _dicts(conn.execute(query))
    for row in rows:
        row["amount"], row["spent"], row["to_reclaim"] = int(row["amount"]), int(row["spent"]), int(row["to_reclaim"])
        if by == "kommune":
            kommune = find(row["kommunenummer"])
            row["kommune"] = kommune.name if kommune else None
    return rows


def _position_conditions(extra, filters) -> list:
    """The SQL conditions of funded positions matching the filters, and any extra ones."""
    p = db.positions
    conditions = [p.c.first_funded_year.is_not(None), *extra]
    for key in ("office", "scheme"):
        if filters.get(key) is not None:
            conditions.append(p.c[key] == filters[key])
    if filters.get("kommune") is not None:
        kommune = filters["kommune"]
        earlier = select(db.years.c.position_id).where(db.years.c.kommunenummer.in_(lineage(kommune)))
        conditions.append(or_(p.c.kommunenummer.in_(lineage(kommune)), p.c.position_id.in_(earlier)))
    return conditions


def _positions(engine, *extra, **filters):
    """Funded positions matching the filters and any extra SQL conditions."""
    p = db.positions
    with engine.connect() as conn:
        return _dicts(conn.execute(select(p).where(and_(*_position_conditions(extra, filters))).order_by(p.c.ref)))


def expiry(engine, year=None, **filters) -> list[dict]:
    """Per funded position: first and last fundable year, years left, and the year funding ends."""
    p = db.positions
    # Only the columns used (no Decimal or date conversion): a million-event ledger has 100,000 rows.
    query = (select(p.c.ref, p.c.office, p.c.kommunenummer, p.c.scheme, p.c.status, p.c.first_funded_year,
                    p.c.last_funded_year, p.c.ladder_year)
             .where(and_(*_position_conditions((), filters))).order_by(p.c.ref))
    rows = []
    with engine.connect() as conn:
        for ref, office, kommune, scheme, status, first, last_funded, ladder_year in conn.execute(query).all():
            last_fundable = rules.last_fundable_year(scheme, last_funded, ladder_year)
            active = status == ACTIVE
            ends = last_fundable if active else last_funded
            if year is not None and ends != year:
                continue
            rows.append({"ref": ref, "office": office, "kommunenummer": kommune, "scheme": scheme,
                         "status": status, "first_year": first, "last_funded": last_funded,
                         "last_fundable": last_fundable,
                         "years_left": max(last_fundable - last_funded, 0) if active else 0, "ends": ends})
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
    per_year = [found.get(year, {"year": year, "positions": 0, "fte": Decimal("0.00"), "amount": 0}) for year in years]
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
            problem = _("funded in {year}, after the wind-down").format(year=p["last_funded_year"])
        elif p["status"] == ACTIVE and today > end:
            problem = _("still active after {year} (terminate as wound-down)").format(year=years[-1])
        elif p["end_date"] is not None and p["end_date"] > end and p["status"] == TERMINATED:
            problem = _("terminated only on {day}, after {year}").format(day=p["end_date"], year=years[-1])
        else:
            continue
        violations.append({"ref": p["ref"], "office": p["office"], "kommunenummer": p["kommunenummer"],
                           "status": p["status"], "last_funded": p["last_funded_year"], "problem": problem})
    return per_year, violations


def frames(engine, **filters) -> list[dict]:
    """Each office frame against the sums granted; after the frames of a scheme and year with a
    national appropriation, one row for all offices: the sum of the frames against it."""
    f, y, a = db.frames, db.years, db.appropriations
    granted = (select(y.c.office, y.c.scheme, y.c.year, func.sum(y.c.amount).label("granted"),
                      func.sum(func.cast(y.c.over_frame, db.Integer)).label("over_frame_grants"))
               .group_by(y.c.office, y.c.scheme, y.c.year).subquery())
    query = (select(f.c.office, f.c.scheme, f.c.year, f.c.amount.label("frame"), granted.c.granted,
                    granted.c.over_frame_grants, f.c.set_by)
             .select_from(f.outerjoin(granted, and_(granted.c.office == f.c.office,
                                                    granted.c.scheme == f.c.scheme, granted.c.year == f.c.year)))
             .where(_filters(f, **{k: v for k, v in filters.items() if k != "kommune"}))
             .order_by(f.c.year, f.c.office, f.c.scheme))
    national = {k: v for k, v in filters.items() if k in ("year", "scheme")}
    with engine.connect() as conn:
        rows = _dicts(conn.execute(query))
        appropriations = [dict(r) for r in conn.execute(select(a).where(_filters(a, **national))).mappings()]
        all_granted = {(r["scheme"], r["year"]): int(r["granted"] or 0) for r in conn.execute(
            select(y.c.scheme, y.c.year, func.sum(y.c.amount).label("granted")).group_by(y.c.scheme, y.c.year)
        ).mappings()}
    for row in rows:
        row["granted"] = int(row["granted"] or 0)
        row["over_frame_grants"] = int(row["over_frame_grants"] or 0)
        row["left"] = row["frame"] - row["granted"]
        row["appropriation"] = row["unallocated"] = None
    if filters.get("office") is None and appropriations:  # the national row sums every office's frame
        rows += [_appropriation_row(found, rows, all_granted) for found in appropriations]
        rows.sort(key=lambda r: (r["year"], r["scheme"], r["office"] is None, r["office"] or ""))
    return rows


def _appropriation_row(found: dict, frame_rows: list[dict], all_granted: dict) -> dict:
    own = [r for r in frame_rows if (r["scheme"], r["year"]) == (found["scheme"], found["year"])]
    framed = sum(r["frame"] for r in own)
    granted = all_granted.get((found["scheme"], found["year"]), 0)
    return {"office": None, "scheme": found["scheme"], "year": found["year"], "frame": framed, "granted": granted,
            "over_frame_grants": sum(r["over_frame_grants"] for r in own), "set_by": found["set_by"],
            "left": framed - granted, "appropriation": found["amount"], "unallocated": found["amount"] - framed}


def compliance(engine, today: date, **filters) -> list[dict]:
    """Per application: late, or without the plan for permanence a scheme asks for. Per funded
    year: a missing or late report, advancing without the previous year's report, undocumented
    self-financing or a kommune share that does not grow as the grant steps down, money to
    reclaim, and 765.60 reports that are not auditor-attested."""
    y, p = db.years, db.positions
    year = filters.pop("year", None)  # the previous year is read too: a step-down compares the two
    rows = []
    with engine.connect() as conn:
        # Only the positions SQL finds a possible issue in are read (every year of each, for the
        # step-down); the checks below decide. A well-kept ledger of a million events has few.
        flagged = (select(y.c.position_id).select_from(y.join(p, p.c.position_id == y.c.position_id))
                   .where(_filters(y, **filters), _possible_year_issue(conn, y, p)))
        query = (select(y, p.c.other_costs).select_from(y.join(p, p.c.position_id == y.c.position_id))
                 .where(_filters(y, **filters), y.c.position_id.in_(flagged))
                 .order_by(y.c.year, y.c.office, y.c.ref))
        years = _dicts(conn.execute(query))
        applications = _dicts(conn.execute(select(p).where(_application_filters(p, year, **filters),
                                                           _possible_application_issue(conn, p))
                                           .order_by(p.c.first_year, p.c.office, p.c.ref)))
    for a in applications:
        base = {"ref": a["ref"], "year": a["first_year"], "office": a["office"],
                "kommunenummer": a["kommunenummer"], "scheme": a["scheme"]}
        for issue, detail in _application_issues(a):
            rows.append({**base, "issue": issue, "detail": detail})
    previous = _previous_years(years)
    for r in (r for r in years if year is None or r["year"] == year):
        due = rules.report_due(r["scheme"], r["year"], r["office"])
        base = {"ref": r["ref"], "year": r["year"], "office": r["office"],
                "kommunenummer": r["kommunenummer"], "scheme": r["scheme"]}
        for issue, detail in _issues(r, due, today, previous.get((r["position_id"], r["year"]))):
            rows.append({**base, "issue": issue, "detail": detail})
    order = {(r["ref"], r["year"]): i for i, r in enumerate(years)}
    rows.sort(key=lambda row: (row["year"], row["office"], row["ref"], order.get((row["ref"], row["year"]), -1)))
    return rows


def _dicts(result) -> list[dict]:
    """Rows as dicts (plain tuples zipped with the column names: a third of the cost of mappings)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]  # all(): one fetchall, not a fetch a row


def _possible_year_issue(conn, y, p):
    """A superset of the year rows `_issues` reports on (see there)."""
    pairs = conn.execute(select(y.c.scheme, y.c.year).distinct()).all()
    earliest = [(and_(y.c.scheme == s, y.c.year == yr), min(rules.report_due(s, yr, o) for o in _offices()))
                for s, yr in pairs]
    late = y.c.report_received > case(*earliest, else_=None) if earliest else false()
    auditor = [i for i in rules.scheme_ids() if rules.scheme(i).attestation == "auditor"]
    return or_(y.c.advanced_unreported.is_not(None), y.c.reports == 0, late,
               and_(y.c.wage_cost.is_not(None), y.c.wage_cost + func.coalesce(p.c.other_costs, 0) > y.c.amount),
               y.c.self_financing.is_not(None), y.c.to_reclaim != 0, y.c.scheme.in_(auditor))


def _possible_application_issue(conn, p):
    """A superset of the applications `_application_issues` reports on."""
    pairs = conn.execute(select(p.c.scheme, p.c.first_year).distinct()).all()
    cases = []
    for s, yr in pairs:
        found = [d for d in (rules.application_due(s, yr, o) for o in _offices()) if d is not None]
        if found:
            cases.append((and_(p.c.scheme == s, p.c.first_year == yr), min(found)))
    late = p.c.received > case(*cases, else_=None) if cases else false()
    with_plan = [i for i in rules.scheme_ids() if rules.scheme(i).permanence_plan]
    return or_(late,
               and_(p.c.scheme.in_(with_plan), func.coalesce(p.c.permanence_plan, False).is_(False)))


def _offices() -> list[str]:
    """Every office a deadline may be set for, and "" for the scheme's own."""
    return ["", *OFFICE_IDS.values()]


def _application_filters(p, year=None, office=None, kommune=None, scheme=None):
    conditions = [p.c.status != "rejected"]
    if year is not None:
        conditions.append(p.c.first_year == year)
    if office is not None:
        conditions.append(p.c.office == office)
    if kommune is not None:
        conditions.append(p.c.kommunenummer.in_(lineage(kommune)))
    if scheme is not None:
        conditions.append(p.c.scheme == scheme)
    return and_(*conditions)


def _application_issues(a: dict):
    due = rules.application_due(a["scheme"], a["first_year"], a["office"])
    if due is not None and a["received"] is not None and a["received"] > due:
        yield "late-application", _("received {received}, deadline {due}").format(received=a["received"], due=due)
    if rules.scheme(a["scheme"]).permanence_plan and not a["permanence_plan"]:
        yield "no-permanence-plan", _("{scheme} applications describe the plan for permanence (plan for varighet)"
                                      ).format(scheme=a["scheme"])


def _previous_years(years: list[dict]) -> dict[tuple[str, int], dict]:
    """(position, year) -> the position's previous funded year row."""
    by_position: dict[str, list[dict]] = {}
    for r in sorted(years, key=lambda r: r["year"]):
        if r["granted_amount"]:
            by_position.setdefault(r["position_id"], []).append(r)
    return {(r["position_id"], r["year"]): before
            for rows in by_position.values() for before, r in zip(rows, rows[1:], strict=False)}


def _issues(r, due: date, today: date, previous: dict | None):
    if r["advanced_unreported"] is not None:
        yield "advanced-without-report", _("advanced into {year} with no report for {unreported}").format(
            year=r["year"], unreported=r["advanced_unreported"])
    if r["reports"] == 0:
        if today > due:
            yield "missing-report", _("report was due {due}").format(due=due)
        return
    if r["report_received"] > due:
        yield "late-report", _("received {received}, due {due}").format(received=r["report_received"], due=due)
    cost = (r["wage_cost"] or 0) + (r["other_costs"] or 0)
    if r["wage_cost"] is not None and cost > r["amount"]:
        needed = cost - r["amount"]
        if (r["self_financing"] or 0) < needed:
            yield "self-financing", _("costs exceed the grant by {needed}, documented {documented}").format(
                needed=kr(needed), documented=kr(r["self_financing"] or 0))
    if (previous is not None and previous["reports"] and r["amount"] < previous["amount"]
            and r["self_financing"] is not None and previous["self_financing"] is not None
            and r["self_financing"] <= previous["self_financing"]):
        yield "share-not-growing", _(
            "grant stepped down {before} -> {after}, self-financing {own_before} -> {own_after}").format(
            before=kr(previous["amount"]), after=kr(r["amount"]), own_before=kr(previous["self_financing"]),
            own_after=kr(r["self_financing"]))
    if r["to_reclaim"]:
        carried_in = _(" + {amount} carried in").format(amount=kr(r["carried_in"])) if r["carried_in"] else ""
        carried_out = _(", {amount} carried over").format(amount=kr(r["carried_out"])) if r["carried_out"] else ""
        yield "to-reclaim", _("{reclaim} of {paid} paid (entitled {entitled}{carried_in}, spent {spent}"
                              "{carried_out})").format(
            reclaim=kr(r["to_reclaim"]), paid=kr(r["paid"] + r["carried_in"]), entitled=kr(r["entitlement"]),
            carried_in=carried_in, spent=kr(r["spent"]), carried_out=carried_out)
    if rules.scheme(r["scheme"]).attestation == "auditor" and r["attested"] != "auditor":
        yield "not-auditor-attested", _("{scheme} reports need an auditor's attestation").format(scheme=r["scheme"])
