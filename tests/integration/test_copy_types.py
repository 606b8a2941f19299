"""Read-model rows go to PostgreSQL by binary COPY (projections/runner.py insert_many), each
column's type named from its SQLAlchemy type: every column must get a type psycopg knows, and a
row must come back as it went in, NULLs and the largest values included."""

from datetime import date
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Integer, select

from grants.projections import db
from grants.projections.runner import _sql_types, insert_many


@pytest.mark.parametrize("table", [t for tables in db.VIEW_TABLES.values() for t in tables], ids=lambda t: t.name)
def test_every_read_model_column_has_a_type_psycopg_knows(table):
    names = _sql_types(table)
    assert len(names) == len(table.columns)
    assert all(psycopg.adapters.types.get(name) is not None for name in names), names


def test_a_year_row_comes_back_as_it_went_in(db_url):
    from grants.projections.db import engine_for

    engine = engine_for(db_url)
    row = {column.name: None for column in db.years.columns}
    row.update(position_id="p" * 36, year=2021, ref="2021/1", kommunenummer="3401", office="innlandet",
               scheme="765.62", fte=Decimal("0.50"), amount=2**62, granted_amount=0, over_frame=True,
               reports=2**31 - 1, report_received=date(2022, 1, 20), fte_filled=Decimal("1.00"), ladder_year=1,
               rule_id="765.62/ladder-2017", carried_in=0, carried_out=0)
    assert all(isinstance(c.type, Integer) for c in (db.years.c.year, db.years.c.reports))
    db.ensure_tables(engine, ["positions", "frames"])
    with engine.connect() as conn:  # never committed
        insert_many(conn, db.years, [row])
        back = dict(conn.execute(select(db.years).where(db.years.c.position_id == "p" * 36)).mappings().one())
    engine.dispose()
    assert back == row
