"""Read models on SQLite and PostgreSQL: hand-checked report figures, rebuild = catch-up,
crashes between batches, and two processes catching up at once."""

import threading
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from grants.domain import commands as c
from grants.domain.errors import GrantsError
from grants.ledger.application import GrantsLedger
from grants.projections import current, db, reports
from grants.projections.db import engine_for
from grants.projections.runner import Runner


def run(ledger, model, **values):
    return ledger.execute(c.parse(model, **values))


def snapshot(engine) -> dict:
    """Every row of every read model, in a stable order (tracking excluded)."""
    tables = [t for group in db.VIEW_TABLES.values() for t in group]
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in tables}


def scenario(ledger):
    """Three positions, checked by hand below."""
    run(ledger, c.Apply, ref="A/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021",
        wage_cost="700000")
    run(ledger, c.Grant, ref="A/1", year=2021)                                  # 660 000
    run(ledger, c.Advance, ref="A/1", year=2022)                                # 550 000
    run(ledger, c.ReduceFte, ref="A/1", fte="0.5", effective="2022-07-01")     # 412 500
    run(ledger, c.Report, ref="A/1", year=2021, spent="600000", received="2022-02-10",
        self_financing="40000")                                                 # reclaim 60 000
    run(ledger, c.Advance, ref="A/1", year=2023)                                # 165 000
    run(ledger, c.Advance, ref="A/1", year=2024)                                # 165 000
    run(ledger, c.Apply, ref="B/1", kommune="3403", scheme="765.62", title="t", fte="0.5", year="2020")
    run(ledger, c.Grant, ref="B/1", year=2020)                                  # 330 000
    run(ledger, c.Advance, ref="B/1", year=2021)                                # 275 000
    run(ledger, c.Report, ref="B/1", year=2020, spent="330000", received="2021-05-01")  # late
    run(ledger, c.Terminate, ref="B/1", cause="withdrawn", reason="moved", effective="2021-12-31")
    run(ledger, c.Apply, ref="C/1", kommune="4601", scheme="765.60-adults", title="FACT", fte="1", year="2023")
    run(ledger, c.Grant, ref="C/1", year=2023, amount="900000")
    run(ledger, c.Report, ref="C/1", year=2023, spent="900000", attested="self", received="2024-03-01")


def test_reports_give_the_hand_checked_figures(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    engine = runner.engine
    by_office = {(r["year"], r["office"]): (r["positions"], r["amount"], r["spent"], r["to_reclaim"])
                 for r in reports.funding(engine, by="office")}
    assert by_office == {
        (2020, "innlandet"): (1, 330_000, 330_000, 0),
        (2021, "innlandet"): (2, 935_000, 600_000, 60_000),
        (2022, "innlandet"): (1, 412_500, 0, 0),
        (2023, "innlandet"): (1, 165_000, 0, 0),
        (2023, "vestland"): (1, 900_000, 900_000, 0),
        (2024, "innlandet"): (1, 165_000, 0, 0),
    }
    expiry = {r["ref"]: (r["last_fundable"], r["years_left"], r["ends"]) for r in reports.expiry(engine)}
    assert expiry == {"A/1": (2024, 0, 2024), "B/1": (2023, 0, 2021), "C/1": (2026, 3, 2026)}
    assert [r["ref"] for r in reports.expiry(engine, year=2021)] == ["B/1"]
    assert reports.expiry(engine, year=2026) == [  # every column of the one position kept, each group's own
        {"ref": "C/1", "office": "vestland", "kommunenummer": "4601", "scheme": "765.60-adults", "status": "active",
         "first_year": 2023, "last_funded": 2023, "last_fundable": 2026, "years_left": 3, "ends": 2026}]
    assert reports.expiry(engine, year=2030) == []
    per_year, violations = reports.winddown(engine, date(2025, 6, 1))
    assert [(r["year"], r["positions"], r["amount"]) for r in per_year] == [
        (2021, 2, 935_000), (2022, 1, 412_500), (2023, 1, 165_000), (2024, 1, 165_000)]
    assert [(v["ref"], v["problem"]) for v in violations] == [("A/1", "still active after 2024 (terminate as wound-down)")]
    assert reports.winddown(engine, date(2024, 6, 1))[1] == []
    issues = {(r["ref"], r["year"], r["issue"]) for r in reports.compliance(engine, date(2025, 6, 1))}
    # A/1 2021: wage cost 700 000 - 660 000 = 40 000 to self-finance, documented: no issue.
    # A/1 advanced into 2022 before its 2021 report was recorded, and into 2023 and 2024 without any;
    # B/1 into 2021 before its 2020 report. Neither 765.62 application describes a permanence plan.
    assert issues == {
        ("A/1", 2021, "no-permanence-plan"), ("B/1", 2020, "no-permanence-plan"),
        ("A/1", 2021, "to-reclaim"),
        ("A/1", 2022, "missing-report"), ("A/1", 2023, "missing-report"), ("A/1", 2024, "missing-report"),
        ("A/1", 2022, "advanced-without-report"), ("A/1", 2023, "advanced-without-report"),
        ("A/1", 2024, "advanced-without-report"), ("B/1", 2021, "advanced-without-report"),
        ("B/1", 2020, "late-report"), ("B/1", 2021, "missing-report"),
        ("C/1", 2023, "not-auditor-attested"),
    }
    ledger.close()


def test_an_office_frame_refuses_an_excess_unless_overridden_with_a_reason(db_url):
    ledger = GrantsLedger(db_url)
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=1_000_000))
    run(ledger, c.Apply, ref="A/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021")
    run(ledger, c.Apply, ref="A/2", kommune="3401", scheme="765.62", title="t", fte="1", year="2021")
    run(ledger, c.Grant, ref="A/1", year=2021)
    try:
        run(ledger, c.Grant, ref="A/2", year=2021)
        raise AssertionError("expected the frame to refuse")
    except GrantsError as error:
        assert error.exit_code == 6 and "frame is 1 000 000, 660 000 already granted" in str(error)
    assert ledger.position("A/2").status == "applied"  # nothing written
    run(ledger, c.Grant, ref="A/2", year=2021, over_frame=True, reason="approved by the director")
    assert ledger.frame("innlandet", "765.62", 2021).committed == 1_320_000
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    [row] = reports.frames(runner.engine)
    assert (row["frame"], row["granted"], row["left"], row["over_frame_grants"]) == (1_000_000, 1_320_000, -320_000, 1)
    ledger.close()


def test_a_crash_between_batches_loses_and_doubles_nothing(db_url, monkeypatch):
    from grants.projections import runner as runner_module

    ledger = GrantsLedger(db_url)
    scenario(ledger)
    runner = Runner(engine_for(db_url), ledger)
    real, calls = runner_module.PROJECTIONS[0], []

    def crashing_write(conn, batch, **kwargs):  # the process dies while folding its third batch
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        real.write(conn, batch, **kwargs)

    monkeypatch.setattr(runner_module, "PROJECTIONS", (runner_module.Projection(real.name, real.topics, crashing_write),
                                                       *runner_module.PROJECTIONS[1:]))
    try:
        runner.catch_up(batch=3)
    except RuntimeError:
        pass
    monkeypatch.undo()
    assert runner.tracked()["positions"] == 6  # two batches of three were committed, the third rolled back
    runner.catch_up(batch=3)
    caught_up = snapshot(runner.engine)
    runner.rebuild(batch=1000)
    assert snapshot(runner.engine) == caught_up
    ledger.close()


def test_two_processes_catching_up_at_once_fold_every_event_once(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    runners = [Runner(engine_for(db_url), GrantsLedger(db_url)) for _ in range(2)]
    threads = [threading.Thread(target=r.catch_up, kwargs={"batch": 2}) for r in runners]
    [t.start() for t in threads]
    [t.join() for t in threads]
    caught_up = snapshot(runners[0].engine)
    runners[0].rebuild()
    assert snapshot(runners[0].engine) == caught_up
    assert runners[1].tracked()["positions"] == ledger.head()
    ledger.close()



@pytest.mark.parametrize("batch", [2, 3, 1000])
def test_a_rebuild_in_batches_gives_the_tables_catch_up_gave_event_by_event(db_url, batch):
    """A rebuild writes each batch's rows in bulk, without replacing rows of positions applied in
    the batch (its tables were emptied), and on PostgreSQL reads the next batch meanwhile: the
    rows must be those of folding one event at a time, positions spanning batches included."""
    ledger = GrantsLedger(db_url)
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=5_000_000))
    scenario(ledger)
    run(ledger, c.Report, ref="A/1", year=2022, spent="400000", received="2023-02-01")  # A/1 again after C/1
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=6_000_000))
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up(batch=1)
    caught_up = snapshot(runner.engine)
    assert caught_up["proj_years"] and caught_up["proj_frames"]
    runner.rebuild(batch=batch)
    assert snapshot(runner.engine) == caught_up
    assert runner.tracked() == {"positions": ledger.head(), "frames": ledger.head()}
    ledger.close()
    runner.engine.dispose()

COMMAND = st.one_of(
    st.builds(lambda r, y, f: (c.Apply, dict(ref=f"R/{r}", kommune="3401", scheme="765.62", title="t",
                                             fte=f, year=y)),
              st.integers(1, 4), st.integers(2017, 2021), st.sampled_from(["1", "0.5", "0.25"])),
    st.builds(lambda r, y: (c.Grant, dict(ref=f"R/{r}", year=y)), st.integers(1, 4), st.integers(2017, 2021)),
    st.builds(lambda r, y: (c.Advance, dict(ref=f"R/{r}", year=y)), st.integers(1, 4), st.integers(2018, 2025)),
    st.builds(lambda r, y, m: (c.ReduceFte, dict(ref=f"R/{r}", fte="0.1", effective=f"{y}-{m:02d}-01")),
              st.integers(1, 4), st.integers(2017, 2024), st.integers(1, 12)),
    st.builds(lambda r, y, s: (c.Report, dict(ref=f"R/{r}", year=y, spent=s)),
              st.integers(1, 4), st.integers(2017, 2024), st.integers(0, 700_000)),
    st.builds(lambda r: (c.Terminate, dict(ref=f"R/{r}", cause="other", reason="x")), st.integers(1, 4)),
    st.just(("catch-up", {})),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(COMMAND, min_size=1, max_size=40))
def test_rebuild_gives_exactly_the_tables_catch_up_gave(tmp_path_factory, steps):
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'l.sqlite'}"
    ledger = GrantsLedger.create(url)
    runner = Runner(engine_for(url), ledger)
    for model, values in steps:
        if model == "catch-up":
            runner.catch_up(batch=2)
            continue
        try:
            ledger.execute(c.parse(model, **values))
        except GrantsError:
            pass  # refused commands write nothing; the sequence goes on
    runner.catch_up(batch=2)
    caught_up = snapshot(runner.engine)
    runner.rebuild(batch=7)
    assert snapshot(runner.engine) == caught_up
    ledger.close()
    runner.engine.dispose()


def test_init_creates_the_read_model_tables_and_a_report_runs_no_ddl(sqlite_url):
    from click.testing import CliRunner
    from sqlalchemy import event as sa_event

    from grants.cli.main import cli

    assert CliRunner().invoke(cli, ["--db", sqlite_url, "init"], env={"GRANTS_ACTOR": "boss"}).exit_code == 0
    engine = engine_for(sqlite_url)
    assert db.current_version(engine) == current.SCHEMA_VERSION
    statements = []
    sa_event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    Runner(engine, GrantsLedger(sqlite_url)).catch_up()
    # one version SELECT, the tracking positions, the head: no schema inspection, no DDL
    assert statements and not any(s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "PRAGMA"))
                                  for s in statements), statements
