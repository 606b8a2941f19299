"""Report queries over the read models. Each returns a list of plain dicts (one per row);
`expiry_columns` returns the rows of `expiry` as columns (ColumnRows), which read as that list."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, false, func, or_, select, text, union

from grants.domain import rules
from grants.domain.i18n import _
from grants.domain.kommuner import OFFICE_IDS, find, lineage
from grants.domain.money import format_kroner as kr
from grants.domain.status import ACTIVE, TERMINATED
from grants.projections import db
from grants.projections.columns import ColumnRows
from grants.projections.order import by_code_point
from grants.projections.plain_sql import positions_of_kommune

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


@contextmanager
def reading(engine) -> Iterator:
    """A connection for a report's queries. On PostgreSQL without JIT compilation: a report's
    queries are short, and compiling one costs ~0.2 s whenever the planner's estimate passes
    jit_above_cost, as estimates from statistics older than the last rebuild or catch-up do
    (compliance at a million events: 0.2 s of compiling for a query that found no row)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL jit = off")  # this transaction only: the pool's next user has its own
        yield conn


def funding(engine, by="office", **filters) -> list[dict]:
    y = db.years
    if by == "position":
        query = (select(y.c.ref, y.c.kommunenummer, y.c.office, y.c.scheme, y.c.year, y.c.ladder_year,
                        y.c.fte, y.c.amount, y.c.spent, y.c.to_reclaim, y.c.rule_amount, y.c.entitlement,
                        y.c.carried_in, y.c.carried_out, y.c.own_money)
                 .where(_filters(y, **filters)).order_by(*by_code_point(y.c.year, y.c.office, y.c.ref)))
        with reading(engine) as conn:
            rows = _dicts(conn.execute(query))
        for row in rows:  # a discretionary amount (skjønn) beside the rule's: the deviation
            row["deviation"] = None if row["rule_amount"] is None else row["amount"] - row["rule_amount"]
        return rows
    keys = [y.c.year] + [y.c[k] for k in GROUPS[by]]
    query = (select(*keys, func.count().label("positions"), func.sum(y.c.fte).label("fte"),
                    func.sum(y.c.amount).label("amount"),
                    func.coalesce(func.sum(y.c.spent), 0).label("spent"),
                    func.coalesce(func.sum(y.c.to_reclaim), 0).label("to_reclaim"))
             .where(_filters(y, **filters)).group_by(*keys).order_by(*by_code_point(*keys)))
    with reading(engine) as conn:
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
        condition, codes = positions_of_kommune(filters["kommune"])
        conditions.append(text(condition).bindparams(**codes))
    return conditions


def _positions(engine, *extra, **filters):
    """Funded positions matching the filters and any extra SQL conditions."""
    p = db.positions
    with reading(engine) as conn:
        query = select(p).where(and_(*_position_conditions(extra, filters))).order_by(*by_code_point(p.c.ref))
        return _dicts(conn.execute(query))


def expiry(engine, year=None, **filters) -> list[dict]:
    """Per funded position: first and last fundable year, years left, and the year funding ends."""
    return list(expiry_columns(engine, year=year, **filters))


def expiry_columns(engine, year=None, **filters) -> ColumnRows:
    """The rows of `expiry` as columns, from the read models of `engine` (grants.projections.expiry)."""
    from grants.projections import expiry as report

    return report.expiry_columns(lambda sql, params: text_parts(engine, sql, params), engine.dialect.name,
                                 year=year, **filters)


def text_parts(engine, sql: str, params: dict) -> Iterator[list[tuple]]:
    """The rows of a report's SQL text (`:name` marks a parameter) as tuples, a part at a time,
    straight from the driver's cursor: text and integers, which SQLAlchemy would hand on unchanged."""
    from grants.ledger.storage import in_parts

    with reading(engine) as conn:
        yield from in_parts(conn.execute(text(sql), params).cursor)


def winddown(engine, today: date, **filters) -> tuple[list[dict], list[dict]]:
    """Transitional positions per year 2021-2024, and every position that breaks the wind-down."""
    scheme_id, years = _wind_down()
    y = db.years
    query = (select(y.c.year, func.count().label("positions"), func.sum(y.c.fte).label("fte"),
                    func.sum(y.c.amount).label("amount"))
             .where(_filters(y, scheme=scheme_id, office=filters.get("office"),
                             kommune=filters.get("kommune")), y.c.year >= years[0])
             .group_by(y.c.year).order_by(y.c.year))
    with reading(engine) as conn:
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
    f, a = db.frames, db.appropriations
    query = (select(f.c.office, f.c.scheme, f.c.year, f.c.amount.label("frame"), f.c.set_by)
             .where(_filters(f, **{k: v for k, v in filters.items() if k != "kommune"}))
             .order_by(*by_code_point(f.c.year, f.c.office, f.c.scheme)))
    national = {k: v for k, v in filters.items() if k in ("year", "scheme")}
    with reading(engine) as conn:
        framed = _dicts(conn.execute(query))
        appropriations = [dict(r) for r in conn.execute(select(a).where(_filters(a, **national))).mappings()]
        granted = _granted(conn, **national) if framed or appropriations else {}  # no frame: no year read
    rows = []
    for row in framed:
        amount, over_frame = granted.get((row["office"], row["scheme"], row["year"]), (0, 0))
        rows.append({"office": row["office"], "scheme": row["scheme"], "year": row["year"], "frame": row["frame"],
                     "granted": amount, "over_frame_grants": over_frame, "set_by": row["set_by"],
                     "left": row["frame"] - amount, "appropriation": None, "unallocated": None})
    if filters.get("office") is None and appropriations:  # the national row sums every office's frame
        all_granted: dict[tuple[str, int], int] = {}
        for (_office, scheme, year), (amount, _over) in granted.items():
            all_granted[scheme, year] = all_granted.get((scheme, year), 0) + amount
        rows += [_appropriation_row(found, rows, all_granted) for found in appropriations]
        rows.sort(key=lambda r: (r["year"], r["scheme"], r["office"] is None, r["office"] or ""))
    return rows


def _granted(conn, **filters) -> dict[tuple[str, str, int], tuple[int, int]]:
    """(office, scheme, year) -> (kroner granted, grants over the frame): one pass over the year
    rows (the totals index covers it) serves both the office frames and the national rows."""
    y = db.years
    query = (select(y.c.office, y.c.scheme, y.c.year, func.sum(y.c.amount),
                    func.sum(func.cast(y.c.over_frame, db.Integer)))
             .where(_filters(y, **filters)).group_by(y.c.office, y.c.scheme, y.c.year))
    return {(office, scheme, year): (int(amount), int(over_frame))
            for office, scheme, year, amount, over_frame in conn.execute(query).all()}


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
    p = db.positions
    year = filters.pop("year", None)  # the previous year is read too: a step-down compares the two
    rows = []
    with reading(engine) as conn:
        # Only the positions SQL finds a possible issue in are read (every year of each, for the
        # step-down); the checks below decide. A well-kept ledger of a million events has few.
        years = _flagged_years(conn, filters)
        applications = _dicts(conn.execute(select(p).where(_application_filters(p, year, **filters),
                                                           _possible_application_issue(conn, p))
                                           .order_by(*by_code_point(p.c.first_year, p.c.office, p.c.ref))))
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


BY_KEY = 1000  # flagged positions up to which their years are read by key (one bound value each)


def _flagged_years(conn, filters) -> list[dict]:
    """Every year row of the flagged positions (with the position's other costs), by year, office
    and ref. The positions are found first, then their years: up to BY_KEY by their keys, more by
    a join in SQL. Joined always, PostgreSQL took the flagged positions for a third of them all
    and hashed every position to join them (~0.1 s at a million events, also when none was)."""
    y, p = db.years, db.positions
    flagged = _flagged_positions(conn, filters)
    ids = conn.execute(flagged).scalars().all()
    if not ids:
        return []
    query = (select(y, p.c.other_costs).select_from(y.join(p, p.c.position_id == y.c.position_id))
             .where(_filters(y, **filters), y.c.position_id.in_(ids if len(ids) <= BY_KEY else flagged))
             .order_by(*by_code_point(y.c.year, y.c.office, y.c.ref)))
    return _dicts(conn.execute(query))


def _flagged_positions(conn, filters):
    """The positions with a year row `_issues` may report on (a superset), found through the two
    indexes of compliance (projections.db) rather than by reading every year row: the rows needing
    attention whatever the deadlines, and those reported late or without an auditor's attestation."""
    y, p = db.years, db.positions
    attention = (select(y.c.position_id).select_from(y.join(p, p.c.position_id == y.c.position_id))
                 .where(db.needs_attention(y), _attention_issue(y, p), _filters(y, **filters)))
    reported = select(y.c.position_id).where(_report_issue(conn, y, filters.get("scheme")), _filters(y, **filters))
    return union(attention, reported)


def _attention_issue(y, p):
    """Of the rows needing attention: advanced without a report, unreported, costs above the grant
    (self-financing), self-financing (the step-down), money to reclaim."""
    return or_(y.c.advanced_unreported.is_not(None), y.c.reports == 0,
               and_(y.c.wage_cost.is_not(None), y.c.wage_cost + func.coalesce(p.c.other_costs, 0) > y.c.amount),
               y.c.self_financing.is_not(None), y.c.to_reclaim != 0)


def _report_issue(conn, y, scheme=None):
    """Reported after the earliest deadline any office has for its scheme and year, or in a scheme
    whose reports need an auditor's attestation and without one: a range of ix_proj_years_reported
    per scheme of the rules data and year between the first and the last funded (two look-ups in
    the same index), rather than the pairs found in the rows (a scan of them all)."""
    first, last = conn.execute(select(select(func.min(y.c.year)).scalar_subquery(),
                                      select(func.max(y.c.year)).scalar_subquery())).one()
    if first is None:
        return false()
    arms = []
    for year in range(first, last + 1):
        for s in (s for s in rules.scheme_ids() if scheme in (None, s)):
            issue = y.c.report_received > _earliest_report_due(s, year)
            if rules.scheme(s).attestation == "auditor":
                issue = or_(issue, y.c.attested.is_(None), y.c.attested != "auditor")
            arms.append(and_(y.c.year == year, y.c.scheme == s, issue))
    return or_(*arms) if arms else false()


def _earliest_report_due(scheme: str, year: int) -> date:
    return min(rules.report_due(scheme, year, office) for office in _offices())


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
