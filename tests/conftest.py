"""Shared fixtures: a fresh ledger per test on SQLite, and on PostgreSQL when a server is configured.

PostgreSQL tests read GRANTS_TEST_POSTGRES_URL (CI always sets it); each test gets its own schema,
dropped afterwards, so tests never see each other's events.
"""

import os
import re
import uuid

import pytest
from click.testing import CliRunner

from grants.domain.actor import current_actor

POSTGRES_URL = os.environ.get("GRANTS_TEST_POSTGRES_URL")


def _postgres_schema_url():
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}schema={schema}", lambda: _drop_schema(plain_url, schema)


def _drop_schema(plain_url, schema):
    import psycopg

    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def created(url):
    """The URL of a new, empty ledger (only grants init and GrantsLedger.create make one)."""
    from grants.ledger.application import GrantsLedger

    GrantsLedger.create(url).close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A database URL for an empty ledger, once per storage engine."""
    if request.param == "sqlite":
        yield created(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        return
    url, drop = _postgres_schema_url()
    yield created(url)
    drop()


@pytest.fixture
def sqlite_url(tmp_path):
    return created(f"sqlite:///{tmp_path / 'ledger.sqlite'}")


def pytest_collection_modifyitems(config, items):
    """Selecting PostgreSQL tests without a server is an error, not a run of silent skips."""
    if POSTGRES_URL:
        return
    selected = [item for item in items if item.get_closest_marker("postgres")]
    if not selected:
        return
    if re.search(r"(?<!not )\bpostgres\b", config.getoption("-m") or ""):  # asked for, not left out
        raise pytest.UsageError("-m postgres needs GRANTS_TEST_POSTGRES_URL (a PostgreSQL server URL)")
    for item in selected:  # an everyday run without a server: leave them out, and say so
        items.remove(item)
    config.hook.pytest_deselected(items=selected)


@pytest.fixture
def ledger(db_url):
    from grants.ledger.application import GrantsLedger

    app = GrantsLedger(db_url)
    yield app
    app.close()


@pytest.fixture(autouse=True)
def caseworker():
    token = current_actor.set("test-caseworker")
    yield "test-caseworker"
    current_actor.reset(token)


@pytest.fixture
def grants(sqlite_url):
    """Run the CLI as a user does, against one ledger: grants("show", "REF") -> click Result."""
    from grants.cli.main import cli

    runner = CliRunner()
    env = {"GRANTS_DB": sqlite_url, "GRANTS_ACTOR": "kari.nordmann"}

    def invoke(*args, env_extra=None):
        return runner.invoke(cli, list(args), env={**env, **(env_extra or {})}, catch_exceptions=False,
                             prog_name="grants")

    invoke.url = sqlite_url
    return invoke


@pytest.fixture
def recorded_clock(monkeypatch):
    """Record events at chosen times: recorded_clock("2023-03-10T09:00:00+00:00") makes every
    event recorded from then on carry that time (the library's clock, patched; no sleeping)."""
    from datetime import datetime

    import eventsourcing.domain

    def set_to(moment: str) -> None:
        when = datetime.fromisoformat(moment)
        monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", lambda: when)

    return set_to
