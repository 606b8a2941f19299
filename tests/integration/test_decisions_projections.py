"""Issue-10 decisions in the read models, on SQLite and PostgreSQL: carry-over, entitlement, kommune
changes and appropriations fold to the hand-checked figures, and a rebuild gives the same tables."""

from datetime import date

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.projections import db, reports
from grants.projections.db import engine_for
from grants.projections.runner import Runner
from tests.integration.test_projections import run, snapshot


def scenario(ledger):
    run(ledger, c.Apply, ref="V/1", kommune="1160", scheme="765.62-new", title="Miljøarbeider", fte="0.8",
        year="2025", received="2025-02-20", wage_cost="560000")
    run(ledger, c.Grant, ref="V/1", year=2025, amount="600000", decided="2025-03-15")
    run(ledger, c.Report, ref="V/1", year=2025, spent="450000", self_financing="0", received="2026-02-01")
    run(ledger, c.CarryOver, ref="V/1", from_year=2025, amount="100000", reason="approved on application",
        decided="2026-02-16")
    run(ledger, c.Apply, ref="H/1", kommune="3001", scheme="765.62", title="Ruskonsulent", fte="1", year="2021",
        received="2021-02-01", permanence_plan="Inn i økonomiplanen")
    run(ledger, c.Grant, ref="H/1", year=2021, amount="700000", reason="skjønn: betydelige negative konsekvenser")
    for year in (2022, 2023, 2024):
        run(ledger, c.Advance, ref="H/1", year=year)
    run(ledger, c.Terminate, ref="H/1", cause="wound-down", reason="ended", effective="2024-08-31")
    run(ledger, c.Report, ref="H/1", year=2024, spent="300000", received="2025-02-01")
    ledger.set_frame(c.SetFrame(office="rogaland", scheme="765.62-new", year=2025, amount=5_000_000))
    ledger.set_appropriation(c.SetAppropriation(scheme="765.62-new", year=2025, amount=200_000_000))


def test_carry_over_entitlement_kommune_changes_and_appropriations_fold_to_the_checked_figures(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    rows = {(r["ref"], r["year"]): r for r in reports.funding(runner.engine, by="position")}
    v25, v26 = rows[("V/1", 2025)], rows[("V/1", 2026)]
    assert (v25["amount"], v25["carried_out"], v25["to_reclaim"]) == (600_000, 100_000, 50_000)
    assert (v26["amount"], v26["carried_in"], v26["spent"], v26["to_reclaim"]) == (0, 100_000, None, None)
    h21, h24 = rows[("H/1", 2021)], rows[("H/1", 2024)]
    assert (h21["kommunenummer"], h21["amount"], h21["rule_amount"], h21["deviation"]) == (
        "3001", 700_000, 660_000, 40_000)
    # 2024: 330 000 x 8 / 12 = 220 000 entitled (terminated 31 August); 330 000 - 220 000 = 110 000; 80 000 own money
    assert (h24["kommunenummer"], h24["entitlement"], h24["to_reclaim"], h24["own_money"]) == (
        "3101", 220_000, 110_000, 80_000)
    [frame, national] = reports.frames(runner.engine, year=2025)
    assert (frame["office"], frame["frame"], frame["granted"]) == ("rogaland", 5_000_000, 600_000)
    assert (national["office"], national["appropriation"], national["frame"], national["unallocated"]) == (
        None, 200_000_000, 5_000_000, 195_000_000)
    found = {(r["ref"], r["year"], r["issue"]) for r in reports.compliance(runner.engine, date(2027, 6, 1))}
    assert ("V/1", 2026, "missing-report") in found and ("H/1", 2021, "no-permanence-plan") not in found
    before = snapshot(runner.engine)
    runner.rebuild()
    assert snapshot(runner.engine) == before
    ledger.close()


def test_read_models_of_an_older_layout_are_rebuilt_with_the_new_columns(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    engine = engine_for(db_url)
    old = MetaData()
    Table("proj_years", old, Column("position_id", String(36), primary_key=True),
          Column("year", Integer, primary_key=True))
    old.create_all(engine)  # an older version's table without the issue-10 columns
    runner = Runner(engine, ledger)
    runner.catch_up()
    with engine.connect() as conn:
        carried = conn.execute(select(db.years.c.carried_in).where(db.years.c.year == 2026)).scalar_one()
    assert carried == 100_000
    ledger.close()
