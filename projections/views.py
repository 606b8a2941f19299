"""The read-model contract for reporting jobs: versioned SQL views, the same on SQLite and PostgreSQL.

A view's name ends in its version (`grants_funding_v1`). Its columns (names, order, meaning, unit:
docs/reporting.md) never change; a change is a new view (`_v2`) beside the old one, and
tests/integration/test_views.py pins them. The tables under the views (proj_*) may change freely.

Each view is one SQLAlchemy select over the read-model tables, compiled for the database it is
created in. Compliance needs each scheme's deadlines and attestation rule: they are copied from
the rules data (domain/data/rules.json, deadlines.csv) into the reference table
`proj_scheme_years`, refreshed whenever the data shipped with the program differs from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, and_, case, func, insert, inspect, select, text

from grants.projections import db
from grants.projections.reference import scheme_year_rows

reference = MetaData()

scheme_years = Table(
    "proj_scheme_years", reference,
    Column("scheme", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("application_due", Date),
    Column("report_due", Date, nullable=False),
    Column("report_attestation", String(8), nullable=False),
)


def _positions() -> Any:
    p = db.positions
    return select(p.c.ref, p.c.kommunenummer, p.c.office, p.c.scheme, p.c.title, p.c.status,
                  p.c.first_year.label("applied_year"), p.c.fte, p.c.wage_cost, p.c.first_funded_year,
                  p.c.first_ladder_year, p.c.last_funded_year, p.c.ladder_year, p.c.end_cause, p.c.end_date,
                  p.c.version)


def _funding() -> Any:
    y = db.years
    return select(y.c.ref, y.c.year, y.c.kommunenummer, y.c.office, y.c.scheme, y.c.ladder_year, y.c.fte,
                  y.c.rule_id, y.c.granted_amount, y.c.amount, y.c.over_frame, y.c.reports, y.c.spent,
                  y.c.to_reclaim, y.c.fte_filled, y.c.self_financing, y.c.attested, y.c.report_received)


def _compliance() -> Any:
    y, p, d = db.years, db.positions, scheme_years
    state = case(
        (and_(y.c.reports == 0, d.c.report_due < func.current_date()), "missing"),
        (y.c.reports == 0, "not-due"),
        (y.c.report_received > d.c.report_due, "late"),
        else_="on-time")
    needed = case((p.c.wage_cost > y.c.amount, p.c.wage_cost - y.c.amount), else_=0)
    return (select(y.c.ref, y.c.year, y.c.office, y.c.kommunenummer, y.c.scheme, y.c.amount,
                   d.c.report_due, y.c.report_received, state.label("report_state"), y.c.spent, y.c.to_reclaim,
                   p.c.wage_cost, needed.label("self_financing_needed"), y.c.self_financing,
                   d.c.report_attestation.label("attestation_required"), y.c.attested)
            .select_from(y.join(p, p.c.position_id == y.c.position_id)
                         .join(d, and_(d.c.scheme == y.c.scheme, d.c.year == y.c.year))))


def _frames() -> Any:
    f, y = db.frames, db.years
    granted = (select(y.c.office, y.c.scheme, y.c.year, func.sum(y.c.amount).label("granted"),
                      func.sum(case((y.c.over_frame, 1), else_=0)).label("over_frame_grants"))
               .group_by(y.c.office, y.c.scheme, y.c.year).subquery())
    join = f.outerjoin(granted, and_(granted.c.office == f.c.office, granted.c.scheme == f.c.scheme,
                                     granted.c.year == f.c.year))
    total = func.coalesce(granted.c.granted, 0)
    return (select(f.c.office, f.c.scheme, f.c.year, f.c.amount.label("frame"), total.label("granted"),
                   (f.c.amount - total).label("remaining"),
                   func.coalesce(granted.c.over_frame_grants, 0).label("over_frame_grants"), f.c.set_by, f.c.reason)
            .select_from(join))


VIEWS = {  # name -> its select; the order of the columns is part of the contract
    "grants_positions_v1": _positions,
    "grants_funding_v1": _funding,
    "grants_compliance_v1": _compliance,
    "grants_frames_v1": _frames,
}


def view_sql(name: str, dialect: Any) -> str:
    compiled = VIEWS[name]().compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return f"CREATE VIEW {name} AS {compiled}"


def create_views(conn: Any) -> None:
    """Create the reference table, fill it from the rules data, and create every view (inside the
    read models' upgrade transaction, projections.db.ensure_tables)."""
    reference.create_all(conn)
    conn.execute(scheme_years.delete())
    conn.execute(insert(scheme_years), scheme_year_rows())
    for name in VIEWS:
        conn.execute(text(view_sql(name, conn.dialect)))


def drop_views(conn: Any) -> None:
    """Drop the views (before the tables under them change); create_views makes them again."""
    existing = set(inspect(conn).get_view_names())
    for name in VIEWS:
        if name in existing:
            conn.execute(text(f"DROP VIEW {name}"))
