"""Reports order text by code point on both engines (projections/order.py): COLLATE "C" on
PostgreSQL, whose locale collation would otherwise order refs unlike SQLite and Python."""

from sqlalchemy import Integer, String, column, select, table
from sqlalchemy.dialects import postgresql, sqlite

from grants.projections.order import by_code_point

REFS = ["2021/47113", "2021/4711-3", "2021-5", "Ø/1", "a/1", "A/1", "2021/10"]


def sql(query, dialect) -> str:
    return str(query.compile(dialect=dialect)).replace("\n", " ")


def test_text_is_ordered_in_the_c_collation_on_postgresql_and_as_it_is_on_sqlite():
    ref, year = column("ref", String), column("year", Integer)
    query = select(ref, year).order_by(*by_code_point(year, ref))
    assert sql(query, postgresql.dialect()).endswith('ORDER BY year, ref COLLATE "C"')
    assert sql(query, sqlite.dialect()).endswith("ORDER BY year, ref")


def test_both_engines_order_refs_as_python_does(db_url):
    from grants.projections.db import engine_for

    engine = engine_for(db_url)
    with engine.begin() as conn:
        # On PostgreSQL, a column in a locale's collation (ICU's root locale: `a/1` before `A/1`),
        # as a database made with a Norwegian or English locale has; SQLite has only byte order.
        collation = ' COLLATE "und-x-icu"' if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"CREATE TABLE order_probe (ref VARCHAR(20){collation})")
        conn.exec_driver_sql("INSERT INTO order_probe VALUES " + ", ".join(f"('{r}')" for r in REFS))
        ref = column("ref", String)
        found = conn.execute(select(ref).select_from(table("order_probe")).order_by(*by_code_point(ref)))
        assert [r for (r,) in found] == sorted(REFS)
    engine.dispose()


def test_the_locale_order_differs_so_the_test_above_has_something_to_catch(db_url):
    from sqlalchemy import text

    from grants.projections.db import engine_for

    engine = engine_for(db_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return
    with engine.connect() as conn:
        in_locale = conn.execute(text('SELECT r FROM unnest(CAST(:refs AS varchar[])) AS r ORDER BY r COLLATE "und-x-icu"'),
                                 {"refs": REFS}).scalars().all()
    engine.dispose()
    assert in_locale != sorted(REFS)
