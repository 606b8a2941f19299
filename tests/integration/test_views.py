"""The reporting contract: versioned views with pinned columns, on SQLite and PostgreSQL, giving
the hand-checked figures of the read-model scenario; a read-only login may select from them."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.projections.db import engine_for
from grants.projections.runner import Runner
from grants.projections.views import VIEWS
from tests.integration.test_projections import scenario
from tests.integration.test_readonly_postgres import reader_url  # noqa: F401 - the README's reader login

# The contract: names and order. Changing a list here means the view needs a _v2 instead.
PINNED = {
    "grants_positions_v1": [
        "ref", "kommunenummer", "office", "scheme", "title", "status", "applied_year", "fte", "wage_cost",
        "first_funded_year", "first_ladder_year", "last_funded_year", "ladder_year", "end_cause", "end_date",
        "version"],
    "grants_funding_v1": [
        "ref", "year", "kommunenummer", "office", "scheme", "ladder_year", "fte", "rule_id", "granted_amount",
        "amount", "over_frame", "reports", "spent", "to_reclaim", "fte_filled", "self_financing", "attested",
        "report_received"],
    "grants_compliance_v1": [
        "ref", "year", "office", "kommunenummer", "scheme", "amount", "report_due", "report_received",
        "report_state", "spent", "to_reclaim", "wage_cost", "self_financing_needed", "self_financing",
        "attestation_required", "attested"],
    "grants_frames_v1": [
        "office", "scheme", "year", "frame", "granted", "remaining", "over_frame_grants", "set_by", "reason"],
}


def views_of(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=900_000))
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    ledger.close()
    return runner.engine


def select(engine, sql):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_every_view_keeps_its_pinned_columns_on_both_engines(db_url):
    engine = views_of(db_url)
    assert list(VIEWS) == list(PINNED)
    with engine.connect() as conn:
        for name, columns in PINNED.items():
            assert list(conn.execute(text(f"SELECT * FROM {name} WHERE 1 = 0")).keys()) == columns, name


def test_the_views_give_the_hand_checked_figures(db_url):
    engine = views_of(db_url)
    funding = select(engine, "SELECT ref, year, amount, granted_amount, spent, to_reclaim, fte "
                             "FROM grants_funding_v1 ORDER BY ref, year")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], Decimal(str(r[6]))) for r in funding] == [
        ("A/1", 2021, 660_000, 660_000, 600_000, 60_000, Decimal("1")),
        ("A/1", 2022, 412_500, 550_000, None, None, Decimal("0.5")),  # 1.0 -> 0.5 from July
        ("A/1", 2023, 165_000, 165_000, None, None, Decimal("0.5")),
        ("A/1", 2024, 165_000, 165_000, None, None, Decimal("0.5")),
        ("B/1", 2020, 330_000, 330_000, 330_000, 0, Decimal("0.5")),
        ("B/1", 2021, 275_000, 275_000, None, None, Decimal("0.5")),
        ("C/1", 2023, 900_000, 900_000, 900_000, 0, Decimal("1"))]
    compliance = select(engine, "SELECT ref, year, report_due, report_state, self_financing_needed, "
                                "self_financing, attestation_required, attested "
                                "FROM grants_compliance_v1 ORDER BY ref, year")
    assert [(r[0], r[1], str(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in compliance] == [
        ("A/1", 2021, "2022-02-15", "on-time", 40_000, 40_000, "self", "self"),  # wage 700 000 - 660 000
        ("A/1", 2022, "2023-02-01", "missing", 287_500, None, "self", None),     # 700 000 - 412 500
        ("A/1", 2023, "2024-02-01", "missing", 535_000, None, "self", None),
        ("A/1", 2024, "2025-03-01", "missing", 535_000, None, "self", None),
        ("B/1", 2020, "2021-02-10", "late", 0, None, "self", "self"),            # received 2021-05-01
        ("B/1", 2021, "2022-02-15", "missing", 0, None, "self", None),
        ("C/1", 2023, "2024-04-05", "on-time", 0, None, "auditor", "self")]
    assert select(engine, "SELECT * FROM grants_frames_v1") == [
        ("innlandet", "765.62", 2021, 900_000, 935_000, -35_000, 0, "test-caseworker", None)]
    positions = select(engine, "SELECT ref, status, applied_year, first_funded_year, last_funded_year, "
                               "end_cause, end_date FROM grants_positions_v1 ORDER BY ref")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6] and str(r[6])) for r in positions] == [
        ("A/1", "active", 2021, 2021, 2024, None, None),
        ("B/1", "terminated", 2020, 2020, 2021, "withdrawn", "2021-12-31"),
        ("C/1", "active", 2023, 2023, 2023, None, None)]


@pytest.mark.postgres
def test_a_read_only_login_selects_from_the_views(reader_url):  # noqa: F811
    from sqlalchemy import create_engine

    engine = create_engine(reader_url.split("?")[0], connect_args={
        "options": f"-csearch_path={reader_url.split('schema=')[1]}"})
    assert select(engine, "SELECT ref, year, amount FROM grants_funding_v1") == [("R/1", 2021, 660_000)]
    assert select(engine, "SELECT ref, report_state FROM grants_compliance_v1") == [("R/1", "missing")]
    engine.dispose()


@pytest.mark.postgres
def test_a_read_only_login_reports_from_lagging_tables_with_a_warning(reader_url):  # noqa: F811
    """Catch up when allowed: a read-only login cannot, so it reads the tables as they are."""
    import os

    from click.testing import CliRunner

    from grants.cli.main import cli
    from grants.projections.api import Reports

    writer_url = f"{os.environ['GRANTS_TEST_POSTGRES_URL']}?schema={reader_url.split('schema=')[1]}"
    writer = GrantsLedger(writer_url)
    writer.execute(c.parse(c.Apply, ref="R/2", kommune="3403", scheme="765.62", title="t", fte="0.5", year="2021"))
    writer.execute(c.parse(c.Grant, ref="R/2", year=2021))
    writer.close()
    result = CliRunner().invoke(cli, ["--db", reader_url, "funding", "--by", "position", "--format", "csv"],
                                env={"GRANTS_ACTOR": "auditor"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["R/1,3401,innlandet,765.62,2021,1,1.00,660000,,,,,0,0,,"]
    assert result.stderr.startswith("Warning: the read models are 2 events behind the log")
    with Reports(reader_url) as reports:
        assert reports.behind == 2 and [r.ref for r in reports.funding(by="position")] == ["R/1"]
    with Reports(reader_url, in_force=date(2100, 1, 1)) as replayed:  # replays: current
        assert [r.ref for r in replayed.funding(by="position")] == ["R/1", "R/2"]


@pytest.mark.postgres
def test_a_login_granted_only_the_views_reads_them_and_not_the_tables():
    """The README's grants_report role: SELECT on the four views and nothing else."""
    import os
    import uuid

    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ProgrammingError

    from tests.conftest import _postgres_schema_url, created

    url, drop = _postgres_schema_url()
    views_of(created(url))
    schema = url.split("schema=")[1]
    role, password = f"report_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    plain = os.environ["GRANTS_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        views = ", ".join(f'"{schema}".{name}' for name in VIEWS)
        conn.execute(f"GRANT SELECT ON {views} TO {role}")
    host = os.environ["GRANTS_TEST_POSTGRES_URL"].split("@", 1)[1].split("?")[0]
    engine = create_engine(f"postgresql+psycopg://{role}:{password}@{host}",
                           connect_args={"options": f"-csearch_path={schema}"})
    try:
        assert select(engine, "SELECT COUNT(*), SUM(amount) FROM grants_funding_v1") == [(7, 2_907_500)]
        with pytest.raises(ProgrammingError, match="permission denied"):
            select(engine, "SELECT COUNT(*) FROM proj_years")
    finally:
        engine.dispose()
        drop()
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")
