"""Identity bound to the PostgreSQL login, with real roles (ledger/pg_setup.py): a caseworker login
cannot record as someone else, cannot rewrite a row, cannot write for another office, cannot make
itself an admin; what it slips past the ledger with SQL is named by `grants verify`."""

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from grants.domain import commands as c
from grants.domain.actor import acting_as
from grants.domain.users import User
from grants.ledger.application import GrantsLedger
from grants.ledger.chain import GENESIS, event_hash, log_link, sha
from grants.ledger.pg_setup import login_sql, setup_identity, setup_sql
from grants.projections.db import engine_for
from grants.projections.runner import Runner
from tests.conftest import POSTGRES_URL, _postgres_schema_url

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Shared:
    owner_url: str
    ledger: GrantsLedger
    urls: dict  # short name -> (login, url)

    def login(self, who):
        return self.urls[who][0]

    def grants(self, who, *args, actor=None):
        login, url = self.urls[who]
        return CliRunner().invoke(cli, ["--db", url, *args], env={"GRANTS_ACTOR": actor or login})

    def connect(self, who):
        import psycopg

        login, url = self.urls[who]
        plain, schema = url.split("?schema=")
        return psycopg.connect(plain.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                               options=f"-csearch_path={schema}")


def _server():
    if not POSTGRES_URL:
        pytest.skip("GRANTS_TEST_POSTGRES_URL not set (CI always sets it)")
    import psycopg

    return psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@pytest.fixture
def shared():
    """An initialised ledger owned by CI's test role; admin, caseworker and auditor logins."""
    owner_url, drop = _postgres_schema_url()
    owner = POSTGRES_URL.split("//", 1)[1].split(":", 1)[0]
    tag = uuid.uuid4().hex[:8]
    groups = {"writers": f"w_{tag}", "admins": f"a_{tag}", "readers": f"r_{tag}"}
    people = {"ada": ("admin", None, "admins"), "kari": ("caseworker", "innlandet", "writers"),
              "rita": ("auditor", None, "readers")}
    ledger = GrantsLedger.create(owner_url)
    with acting_as(owner):
        ledger.initialize()
        for name, (role, office, _) in people.items():
            ledger.add_user(f"{name}_{tag}", role, office)
        ledger.execute(c.parse(c.Apply, ref="A/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
        ledger.execute(c.parse(c.Grant, ref="A/1", year=2021))
        ledger.execute(c.parse(c.Apply, ref="O/1", kommune="0301", scheme="765.62", title="t", fte="1", year="2021"))
        Runner(engine_for(owner_url), ledger).catch_up()  # the owner creates the read-model tables
        setup_identity(ledger, **groups)
    host, schema = owner_url.split("@", 1)[1], owner_url.split("schema=")[1]
    urls = {"owner": (owner, owner_url)}
    with _server() as server:
        for name, (_, _, group) in people.items():
            login = f"{name}_{tag}"
            server.execute(login_sql(login, groups[group], password="pw"))
            urls[name] = (login, f"postgresql+psycopg://{login}:pw@{host.split('?')[0]}?schema={schema}")
    yield Shared(owner_url, ledger, urls)
    ledger.close()
    drop()
    with _server() as server:
        for role in [urls[n][0] for n in people] + list(groups.values()):
            server.execute(f'DROP ROLE IF EXISTS "{role}"')


def raw_append(conn, stored, hash_login):
    """Append an event and a chain row that links, with plain SQL (no ledger, no lock): what a
    login that knows the public hash rules can do. Returns the new row's notification id."""
    [(nid,)] = conn.execute("INSERT INTO grants_events (originator_id, originator_version, topic, state) "
                            "VALUES (%s, %s, %s, %s) RETURNING notification_id",
                            (stored.originator_id, stored.originator_version, stored.topic, stored.state)).fetchall()
    oid = stored.originator_id.hex
    [(previous_log,)] = conn.execute("SELECT log_hash FROM grants_chain ORDER BY notification_id DESC LIMIT 1"
                                     ).fetchall()
    found = conn.execute("SELECT position_hash FROM grants_chain WHERE originator_id=%s AND originator_version=%s",
                         (oid, stored.originator_version - 1)).fetchall()
    e_hash = event_hash(oid, stored.originator_version, stored.topic, stored.state)
    conn.execute("INSERT INTO grants_chain (notification_id, originator_id, originator_version, event_hash, "
                 "position_hash, log_hash, login) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (nid, oid, stored.originator_version, e_hash, sha(found[0][0] if found else GENESIS, e_hash),
                  log_link(previous_log, nid, e_hash, hash_login), hash_login))
    return nid


def stored_events(ledger, aggregate):
    return [ledger.mapper.to_stored_event(e) for e in aggregate.collect_events()]


def recorded_login(shared, nid):
    with shared.connect("owner") as conn:
        return conn.execute("SELECT login FROM grants_chain WHERE notification_id=%s", (nid,)).fetchone()[0]


def assert_verify_names(shared, nid, fragment):
    result = shared.grants("owner", "verify")
    assert result.exit_code == 7, result.output
    line = result.stderr.strip()
    assert line.startswith(f"Error: event {nid} ") and fragment in line and "\n" not in line, line


def test_the_database_records_the_login_whatever_the_client_writes(shared):
    position = shared.ledger.position("A/1")
    with acting_as(shared.login("kari")):
        position.report(year=2021, spent=1, received=date(2022, 2, 1))
    with shared.connect("kari") as conn:
        nid = raw_append(conn, stored_events(shared.ledger, position)[0], hash_login=shared.login("owner"))
    assert recorded_login(shared, nid) == shared.login("kari")  # the trigger overrode the claim
    assert_verify_names(shared, nid, "breaks the log chain")  # hashed for another login: it no longer links


def test_a_caseworker_login_cannot_record_as_someone_else(shared):
    head = shared.ledger.head()
    result = shared.grants("kari", "apply", "K/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
                           "--fte", "1", "--year", "2021", actor=shared.login("ada"))
    assert result.exit_code == 5
    assert result.stderr == (f"Error: actor: GRANTS_ACTOR {shared.login('ada')!r} is not this database login "
                             f"{shared.login('kari')!r}; on PostgreSQL the login is who acts (unset GRANTS_ACTOR "
                             "or set it to the login)\n")
    assert shared.ledger.head() == head
    position = shared.ledger.position("A/1")
    with acting_as(shared.login("ada")):  # the claim a careful forger writes into the event
        position.report(year=2021, spent=1, received=date(2022, 2, 1))
    with shared.connect("kari") as conn:
        nid = raw_append(conn, stored_events(shared.ledger, position)[0], hash_login=shared.login("kari"))
    assert_verify_names(shared, nid, f"claims actor {shared.login('ada')!r} but was recorded by login "
                                     f"{shared.login('kari')!r}")


def test_a_caseworker_login_cannot_rewrite_or_delete_a_row(shared):
    import psycopg

    with shared.connect("kari") as conn:
        for statement in ("UPDATE grants_events SET state = state", "DELETE FROM grants_events",
                          "TRUNCATE grants_events", "UPDATE grants_chain SET login = 'x'", "DELETE FROM grants_chain",
                          "TRUNCATE grants_chain"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert shared.grants("owner", "verify").exit_code == 0


def test_a_caseworker_login_cannot_write_for_another_office(shared):
    result = shared.grants("kari", "grant", "O/1", "--year", "2021")
    assert result.exit_code == 5 and "'O/1' belongs to ostfold-buskerud-oslo-akershus" in result.stderr
    position = shared.ledger.position("O/1")
    with acting_as(shared.login("kari")):
        position.grant(year=2021, decided=date(2021, 3, 1))
    with shared.connect("kari") as conn:
        nid = raw_append(conn, stored_events(shared.ledger, position)[0], hash_login=shared.login("kari"))
    assert_verify_names(shared, nid, f"was recorded by {shared.login('kari')!r} (caseworker at innlandet), "
                                     "who may not record a position or frame of ostfold-buskerud-oslo-akershus")


def test_a_caseworker_login_cannot_make_itself_an_admin(shared):
    import psycopg

    assert shared.grants("kari", "users", "add", "eve", "--role", "admin").exit_code == 5
    with acting_as(shared.login("kari")):
        user = User.add(name="mallory", role="admin", office=None)
    with shared.connect("kari") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="only admin logins"):
        raw_append(conn, stored_events(shared.ledger, user)[0], hash_login=shared.login("kari"))
    assert shared.grants("owner", "verify").exit_code == 0


def test_caseworker_and_admin_logins_do_their_work_and_verify_stays_clean(shared):
    result = shared.grants("kari", "apply", "K/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
                           "--fte", "1", "--year", "2021")
    assert result.exit_code == 0, result.output
    assert shared.grants("kari", "funding", "--format", "csv").exit_code == 0  # catches the read models up
    assert shared.grants("ada", "users", "add", "ola", "--role", "caseworker", "--office", "innlandet").exit_code == 0
    assert shared.ledger.recorded_logins("K/1") == {1: shared.login("kari")}
    assert shared.grants("rita", "verify").exit_code == 0


def test_a_reader_login_cannot_append(shared):
    import psycopg

    position = shared.ledger.position("A/1")
    position.report(year=2021, spent=1, received=date(2022, 2, 1))
    with shared.connect("rita") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw_append(conn, stored_events(shared.ledger, position)[0], hash_login=shared.login("rita"))
    assert shared.grants("rita", "report", "A/1", "--year", "2021", "--spent", "1").exit_code == 5


def test_only_a_login_owning_the_tables_may_initialise_a_shared_ledger():
    owner_url, drop = _postgres_schema_url()
    GrantsLedger.create(owner_url).close()  # tables exist; nobody ran init yet
    schema, host = owner_url.split("schema=")[1], owner_url.split("@", 1)[1].split("?")[0]
    login = f"early_{uuid.uuid4().hex[:8]}"
    with _server() as server:
        server.execute(f"CREATE ROLE {login} LOGIN PASSWORD 'pw'")
        server.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {login}')
        server.execute(f'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "{schema}" TO {login}')
    try:
        early = CliRunner().invoke(cli, ["--db", f"postgresql+psycopg://{login}:pw@{host}?schema={schema}", "init"],
                                   env={"GRANTS_ACTOR": login})
        assert early.exit_code == 5 and "does not own this ledger's tables" in early.stderr
        owner = POSTGRES_URL.split("//", 1)[1].split(":", 1)[0]
        assert CliRunner().invoke(cli, ["--db", owner_url, "init"], env={"GRANTS_ACTOR": owner}).exit_code == 0
    finally:
        drop()
        with _server() as server:
            server.execute(f"DROP ROLE {login}")


def test_the_sql_file_for_dbas_is_the_set_up_the_ledger_runs():
    text = (ROOT / "docs" / "identity-postgres.sql").read_text()
    assert setup_sql() in text


def test_without_grants_actor_the_login_acts(shared):
    login, url = shared.urls["kari"]
    result = CliRunner().invoke(cli, ["--db", url, "apply", "K/2", "--kommune", "3401", "--scheme", "765.62",
                                      "--title", "t", "--fte", "1", "--year", "2021"], env={"GRANTS_ACTOR": None})
    assert result.exit_code == 0, result.output
    [applied] = shared.ledger.events_of("K/2")
    assert applied.actor == login and shared.ledger.recorded_logins("K/2") == {1: login}


def test_without_grants_actor_the_reporting_api_reads_as_the_login(shared, monkeypatch):
    """As for the CLI: on PostgreSQL the login acts (the OS user here is no user of the ledger)."""
    from grants.projections.api import Reports

    monkeypatch.delenv("GRANTS_ACTOR", raising=False)
    with Reports(shared.urls["rita"][1]) as reports:
        assert [(r.office, r.amount) for r in reports.funding(by="office", year=2021)] == [("innlandet", 660000)]


@pytest.mark.slow
def test_without_grants_actor_the_demo_fills_an_empty_schema_as_the_login():
    url, drop = _postgres_schema_url()
    try:
        result = CliRunner().invoke(cli, ["--db", url, "--quiet", "demo"], env={"GRANTS_ACTOR": None})
        assert result.exit_code == 0, result.output
        ledger = GrantsLedger(url)
        owner = POSTGRES_URL.split("//", 1)[1].split(":", 1)[0]
        assert [u.name for u in ledger.users() if u.role == "admin"] == [owner]  # the login is the first admin
        ledger.close()
    finally:
        drop()
