"""How the reports read the year rows (issue 14): compliance through its indexes, finding what
checking every year finds; the totals keep their covering index; read models of version 4 get
the indexes of version 5 in place."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, inspect, select, text

from grants.domain import commands as c
from grants.domain.errors import GrantsError
from grants.ledger.application import GrantsLedger
from grants.projections import current, db, reports
from grants.projections.db import engine_for
from grants.projections.runner import Runner

COMPLIANCE_INDEXES = {"ix_proj_years_attention", "ix_proj_years_reported"}


def run(ledger, model, **values):
    try:
        ledger.execute(c.parse(model, **values))
    except GrantsError:
        pass  # refused commands write nothing; the sequence goes on


def every_year_checked(monkeypatch):
    """Compliance as if SQL flagged every position: the checks alone decide."""
    monkeypatch.setattr(reports, "_flagged_positions", lambda conn, filters: select(db.years.c.position_id))


def issues(engine, day, **filters):
    return [tuple(r.values()) for r in reports.compliance(engine, day, **filters)]


def varied(ledger):
    """Every kind of issue compliance reports, and years close to each without one."""
    run(ledger, c.Apply, ref="W/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021",
        wage_cost="700000", received="2021-01-15", permanence_plan="fast stilling")
    run(ledger, c.Grant, ref="W/1", year=2021, decided="2021-03-01")                 # 660 000
    run(ledger, c.Report, ref="W/1", year=2021, spent="660000", received="2022-02-01",
        self_financing="10000")                                                      # 40 000 needed
    run(ledger, c.Advance, ref="W/1", year=2022)                                     # 550 000
    run(ledger, c.Report, ref="W/1", year=2022, spent="550000", received="2023-01-10",
        self_financing="10000")                                                      # share not growing
    run(ledger, c.Apply, ref="L/1", kommune="0301", scheme="765.62", title="t", fte="0.5", year="2021",
        received="2021-03-15", permanence_plan="fast stilling")                     # late application
    run(ledger, c.Grant, ref="L/1", year=2021, decided="2021-04-01")
    run(ledger, c.Report, ref="L/1", year=2021, spent="300000", received="2022-06-01")  # late, to reclaim
    run(ledger, c.Apply, ref="T/1", kommune="1101", scheme="765.62", title="t", fte="1", year="2021",
        received="2021-01-12", permanence_plan="fast stilling")
    run(ledger, c.Grant, ref="T/1", year=2021, decided="2021-03-01")
    run(ledger, c.Report, ref="T/1", year=2021, spent="660000", received="2022-04-01")  # late, nothing else
    run(ledger, c.Apply, ref="K/1", kommune="4601", scheme="765.62", title="t", fte="1", year="2021",
        received="2021-01-10", permanence_plan="fast stilling")
    run(ledger, c.Grant, ref="K/1", year=2021, decided="2021-03-01")
    run(ledger, c.Report, ref="K/1", year=2021, spent="660000", received="2022-01-20")  # well kept
    run(ledger, c.Advance, ref="K/1", year=2022)                                     # never reported
    run(ledger, c.Apply, ref="V/1", kommune="4601", scheme="765.60-adults", title="FACT", fte="1", year="2023")
    run(ledger, c.Grant, ref="V/1", year=2023, amount="900000")
    run(ledger, c.Report, ref="V/1", year=2023, spent="900000", attested="auditor", received="2024-01-20")
    run(ledger, c.Advance, ref="V/1", year=2024, amount="900000")
    run(ledger, c.Report, ref="V/1", year=2024, spent="900000", attested="self", received="2025-01-20")


def test_compliance_finds_what_checking_every_year_finds(db_url, monkeypatch):
    ledger = GrantsLedger(db_url)
    varied(ledger)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    cases = [(date(2026, 6, 1), {}), (date(2022, 3, 1), {}), (date(2026, 6, 1), {"year": 2022}),
             (date(2026, 6, 1), {"office": "innlandet"}), (date(2026, 6, 1), {"scheme": "765.60-adults"}),
             (date(2026, 6, 1), {"kommune": "4601"})]
    found = [issues(runner.engine, day, **filters) for day, filters in cases]
    monkeypatch.setattr(reports, "BY_KEY", 1)  # more flagged positions than read by key: SQL joins them
    assert [issues(runner.engine, day, **filters) for day, filters in cases] == found
    every_year_checked(monkeypatch)
    assert [issues(runner.engine, day, **filters) for day, filters in cases] == found
    kinds = {issue for _ref, _year, _office, _kommune, _scheme, issue, _detail in found[0]}
    assert kinds == {"late-application", "self-financing", "share-not-growing", "late-report", "to-reclaim",
                     "missing-report", "not-auditor-attested"}
    ledger.close()


COMMAND = st.one_of(
    st.builds(lambda r, y, wage, plan: (c.Apply, dict(ref=f"R/{r}", kommune="3401", scheme="765.62", title="t",
                                                      fte="1", year=y, wage_cost=wage, permanence_plan=plan)),
              st.integers(1, 3), st.integers(2020, 2022), st.sampled_from([None, "700000", "500000"]),
              st.sampled_from([None, "fast stilling"])),
    st.builds(lambda r, y: (c.Apply, dict(ref=f"A/{r}", kommune="4601", scheme="765.60-adults", title="t",
                                          fte="1", year=y)), st.integers(1, 2), st.integers(2022, 2023)),
    st.builds(lambda r, y: (c.Grant, dict(ref=f"R/{r}", year=y)), st.integers(1, 3), st.integers(2020, 2022)),
    st.builds(lambda r, y: (c.Grant, dict(ref=f"A/{r}", year=y, amount="800000")),
              st.integers(1, 2), st.integers(2022, 2023)),
    st.builds(lambda p, y: (c.Advance, dict(ref=p, year=y)),
              st.sampled_from(["R/1", "R/2", "R/3", "A/1", "A/2"]), st.integers(2021, 2025)),
    st.builds(lambda p, y, spent, own, month, who: (c.Report, dict(
        ref=p, year=y, spent=spent, self_financing=own, received=f"{y + 1}-{month:02d}-10", attested=who)),
        st.sampled_from(["R/1", "R/2", "R/3", "A/1", "A/2"]), st.integers(2020, 2025),
        st.sampled_from(["0", "500000", "900000"]), st.sampled_from([None, "20000", "90000"]),
        st.integers(1, 6), st.sampled_from(["self", "auditor"])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(COMMAND, min_size=1, max_size=25), day=st.dates(date(2021, 1, 1), date(2027, 1, 1)))
def test_the_indexes_find_every_year_an_issue_can_be_found_in(tmp_path_factory, steps, day):
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'l.sqlite'}"
    ledger = GrantsLedger.create(url)
    for model, values in steps:
        run(ledger, model, **{k: v for k, v in values.items() if v is not None})
    runner = Runner(engine_for(url), ledger)
    runner.catch_up()
    found = issues(runner.engine, day)
    with pytest.MonkeyPatch.context() as patch:
        every_year_checked(patch)
        assert issues(runner.engine, day) == found
    ledger.close()
    runner.engine.dispose()


def plans(engine, call) -> list[str]:
    """SQLite's plan of every query `call` runs."""
    statements = []
    listener = lambda conn, cursor, sql, params, *rest: statements.append((sql, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        return [row[3] for sql, params in statements for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_compliance_reads_the_year_rows_through_its_indexes(sqlite_url):
    ledger = GrantsLedger(sqlite_url)
    varied(ledger)
    runner = Runner(engine_for(sqlite_url), ledger)
    runner.catch_up()
    steps = plans(runner.engine, lambda: reports.compliance(runner.engine, date(2026, 6, 1)))
    years = [step for step in steps if "proj_years" in step]
    assert {name for name in COMPLIANCE_INDEXES if any(name in step for step in years)} == COMPLIANCE_INDEXES
    # every year row is found by an index: none is read by scanning the table (or the totals)
    assert not [step for step in years
                if step.startswith("SCAN") and "ix_proj_years_attention" not in step], years
    ledger.close()


@pytest.mark.parametrize("call", [
    lambda engine: reports.winddown(engine, date(2026, 6, 1)),
    lambda engine: reports.funding(engine, scheme="765.62"),
    lambda engine: reports.funding(engine, year=2022, scheme="765.62"),
    lambda engine: reports.frames(engine, year=2022, scheme="765.62"),
])
def test_the_totals_keep_their_covering_index(sqlite_url, call):
    """SQLite, without statistics, takes the index matching the most conditions: compliance's
    must not take the totals' `year` and `scheme` conditions from their covering index."""
    ledger = GrantsLedger(sqlite_url)
    varied(ledger)
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2022, amount=1_000_000))
    runner = Runner(engine_for(sqlite_url), ledger)
    runner.catch_up()
    totals = [step for step in plans(runner.engine, lambda: call(runner.engine))
              if "proj_years" in step and "proj_positions" not in step]
    assert totals and all("COVERING INDEX ix_proj_years_totals" in step for step in totals), totals
    ledger.close()


def test_read_models_of_version_4_get_the_indexes_of_compliance_in_place(db_url):
    ledger = GrantsLedger(db_url)
    varied(ledger)
    engine = engine_for(db_url)
    Runner(engine, ledger).catch_up()
    before = {t: snapshot_rows(engine, t) for t in (db.positions, db.years)}
    with engine.begin() as conn:  # as version 4 left them
        for name in sorted(COMPLIANCE_INDEXES):
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("UPDATE proj_schema SET version = 4"))
    Runner(engine, ledger)  # the next command upgrades them
    assert db.current_version(engine) == current.SCHEMA_VERSION == 5
    assert {index["name"] for index in inspect(engine).get_indexes("proj_years")} >= COMPLIANCE_INDEXES
    assert {t: snapshot_rows(engine, t) for t in (db.positions, db.years)} == before  # rows kept, not refolded
    ledger.close()


def snapshot_rows(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]


def test_a_rebuild_leaves_every_index_of_the_read_models(db_url):
    """SQLite's rebuild drops the year rows' and the positions' indexes and builds them once at
    the end: afterwards every one is there, and a lookup by ref uses its own."""
    ledger = GrantsLedger(db_url)
    varied(ledger)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    before = {table: {i["name"] for i in inspect(runner.engine).get_indexes(table)}
              for table in ("proj_positions", "proj_years")}
    assert "ix_proj_positions_ref" in before["proj_positions"]
    assert before["proj_years"] >= COMPLIANCE_INDEXES | {"ix_proj_years_totals"}
    runner.rebuild()
    assert {table: {i["name"] for i in inspect(runner.engine).get_indexes(table)} for table in before} == before
    if runner.engine.dialect.name == "sqlite":
        with runner.engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT * FROM proj_positions WHERE ref = 'W/1'").all()
        assert any("ix_proj_positions_ref" in str(step) for step in plan), plan
    ledger.close()
