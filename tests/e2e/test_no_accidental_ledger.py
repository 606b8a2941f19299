"""Only `grants init` creates a ledger: a wrong URL is one line and exit 2, and nothing is made."""

import sqlite3

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from tests.conftest import _postgres_schema_url

READING_AND_WRITING = [
    ["show", "X/1"], ["funding"], ["verify"], ["users", "list"], ["projections", "status"],
    ["apply", "X/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021"],
]


def run(*args, env):
    return CliRunner().invoke(cli, list(args), env={"GRANTS_ACTOR": "kari", **env}, catch_exceptions=False)


@pytest.mark.parametrize("args", READING_AND_WRITING, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_grants_db_is_refused_and_creates_no_file_or_folder(tmp_path, args):
    missing = tmp_path / "ledgr" / "ledger.sqlite"
    result = run(*args, env={"GRANTS_DB": f"sqlite:///{missing}"})
    assert (result.exit_code, result.stderr) == (2, f"Error: db: no ledger at {missing} (create it with grants init)\n")
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_a_text_file_is_not_a_ledger(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    result = run("funding", env={"GRANTS_DB": f"sqlite:///{notes}"})
    assert (result.exit_code, result.stderr) == (
        2, f"Error: db: sqlite:///{notes} is not a grants ledger (SQLITE_NOTADB: not an SQLite database)\n")
    assert notes.read_text() == "not a database\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_sqlite_file_of_something_else_is_not_a_ledger_and_is_left_alone(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text)")
    result = run("show", "X/1", env={"GRANTS_DB": f"sqlite:///{other}"})
    assert (result.exit_code, result.stderr) == (
        2, f"Error: db: no ledger at sqlite:///{other} (create it with grants init)\n")
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_an_unreachable_server_is_one_line_naming_the_url_without_its_password():
    url = "postgresql+psycopg://kari:s3cret@127.0.0.1:1/grants?connect_timeout=1"
    result = run("funding", env={"GRANTS_DB": url})
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: db: cannot reach postgresql+psycopg://kari:***@127.0.0.1:1/grants")
    assert len(result.stderr.splitlines()) == 1 and "s3cret" not in result.output


@pytest.mark.postgres
def test_a_postgres_database_without_the_ledger_tables_is_not_a_ledger():
    url, drop = _postgres_schema_url()  # an empty schema: a database that was never initialised
    try:
        result = run("show", "X/1", env={"GRANTS_DB": url})
        redacted = url.replace(":grants@", ":***@")
        assert (result.exit_code, result.stderr) == (
            2, f"Error: db: no ledger at {redacted} (create it with grants init)\n")
        as_login = {"GRANTS_DB": url, "GRANTS_ACTOR": "grants"}  # on PostgreSQL the actor is the login
        init = run("init", env=as_login)
        assert init.exit_code == 0, init.output
        assert run("show", "X/1", env=as_login).exit_code == 4
    finally:
        drop()


def test_init_creates_the_ledger_its_folder_included_and_only_once(tmp_path):
    path = tmp_path / "office" / "ledger.sqlite"
    env = {"GRANTS_DB": f"sqlite:///{path}"}
    assert run("init", env=env).exit_code == 0 and path.is_file()
    again = run("init", env=env)
    assert (again.exit_code, again.stderr) == (6, "Error: init: this ledger is already initialised\n")

