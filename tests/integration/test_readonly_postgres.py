"""The README's read-only PostgreSQL login: auditors read, verify and replay; the database refuses writes."""

import os
import uuid

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.projections.db import engine_for
from grants.projections.runner import Runner

pytestmark = pytest.mark.postgres


@pytest.fixture
def reader_url():
    url = os.environ.get("GRANTS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GRANTS_TEST_POSTGRES_URL not set (CI always sets it)")
    import psycopg

    from tests.conftest import _postgres_schema_url

    writer_url, drop = _postgres_schema_url()
    ledger = GrantsLedger.create(writer_url)
    ledger.execute(c.parse(c.Apply, ref="R/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    ledger.execute(c.parse(c.Grant, ref="R/1", year=2021))
    Runner(engine_for(writer_url), ledger).catch_up()  # as `grants projections follow` would
    ledger.close()
    schema = writer_url.split("schema=")[1]
    role, password = f"reader_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
    host = url.split("@", 1)[1]
    yield f"postgresql+psycopg://{role}:{password}@{host}{'&' if '?' in host else '?'}schema={schema}"
    drop()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP ROLE {role}")


def grants(url, *args):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"GRANTS_ACTOR": "auditor"})


def test_a_read_only_login_reads_verifies_and_replays(reader_url):
    assert grants(reader_url, "show", "R/1").exit_code == 0
    assert grants(reader_url, "verify").exit_code == 0
    replay = grants(reader_url, "funding", "--as-of", "2100-01-01", "--format", "csv")
    assert replay.exit_code == 0 and "660000" in replay.stdout
    current = grants(reader_url, "funding", "--format", "csv")  # kept current by the writer's follower
    assert current.exit_code == 0 and "660000" in current.stdout


def test_a_read_only_login_reports_from_read_models_one_layout_version_behind(reader_url):
    """Version 4 of the read models only added an index: a reporting login keeps reading version-3
    tables (it may not upgrade them) until a writer's next command does."""
    import psycopg

    schema = reader_url.split("schema=")[1]
    plain = os.environ["GRANTS_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:  # as an older version left them
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("DROP INDEX ix_proj_years_totals")
        conn.execute("UPDATE proj_schema SET version = 3")
    current = grants(reader_url, "funding", "--format", "csv")
    assert current.exit_code == 0 and "660000" in current.stdout


def test_the_database_refuses_a_write_from_a_read_only_login(reader_url):
    result = grants(reader_url, "advance", "R/1", "--year", "2022")
    assert result.exit_code == 5
    assert result.stderr.strip() == ("Error: database: permission denied for this login (its group lacks the "
                                     "right: docs/audit.md, Identity; a read-only login reports with --known-at)")
    assert grants(reader_url, "show", "R/1", "--format", "json").stdout.count('"year"') == 1
