"""Roles and office scoping: refused commands exit 5 and write nothing."""

from tests.e2e.test_cli import event_count


def as_(grants, actor, *args):
    return grants(*args, env_extra={"GRANTS_ACTOR": actor})


def setup(grants):
    assert as_(grants, "boss", "init").exit_code == 0
    assert as_(grants, "boss", "users", "add", "kari", "--role", "caseworker", "--office", "innlandet").exit_code == 0
    assert as_(grants, "boss", "users", "add", "rita", "--role", "auditor").exit_code == 0
    assert as_(grants, "kari", "apply", "A/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
               "--fte", "1", "--year", "2021").exit_code == 0


def test_caseworkers_write_only_for_their_own_office(grants):
    setup(grants)
    before = event_count(grants.url)
    other = as_(grants, "kari", "apply", "O/1", "--kommune", "0301", "--scheme", "765.62", "--title", "t",
                "--fte", "1", "--year", "2021")
    assert other.exit_code == 5 and "works for innlandet" in other.stderr
    assert as_(grants, "boss", "apply", "O/1", "--kommune", "0301", "--scheme", "765.62", "--title", "t",
               "--fte", "1", "--year", "2021").exit_code == 0  # an admin decides for every office
    assert as_(grants, "kari", "grant", "O/1", "--year", "2021").exit_code == 5
    assert event_count(grants.url) == before + 1
    assert as_(grants, "kari", "grant", "A/1", "--year", "2021").exit_code == 0


def test_auditors_read_everything_and_write_nothing(grants):
    setup(grants)
    before = event_count(grants.url)
    assert as_(grants, "rita", "show", "A/1").exit_code == 0
    assert as_(grants, "rita", "verify").exit_code == 0
    assert as_(grants, "rita", "funding").exit_code == 0
    for args in (["grant", "A/1", "--year", "2021"], ["reject", "A/1", "--reason", "x"],
                 ["frame", "set", "--office", "innlandet", "--scheme", "765.62", "--year", "2021", "--amount", "1"],
                 ["users", "add", "eve", "--role", "admin"], ["projections", "rebuild"]):
        result = as_(grants, "rita", *args)
        assert result.exit_code == 5, (args, result.output)
        assert result.stderr.startswith("Error: role:")
    assert event_count(grants.url) == before


def test_frames_and_users_are_for_admins_and_strangers_are_refused(grants):
    setup(grants)
    assert as_(grants, "kari", "users", "add", "eve", "--role", "admin").exit_code == 5
    assert as_(grants, "kari", "frame", "set", "--office", "innlandet", "--scheme", "765.62", "--year", "2021",
               "--amount", "1").exit_code == 5
    stranger = as_(grants, "mallory", "show", "A/1")
    assert stranger.exit_code == 5 and "not a user of this ledger" in stranger.stderr
    assert as_(grants, "boss", "init").exit_code == 6


def test_every_event_records_its_actor(grants):
    setup(grants)
    as_(grants, "kari", "grant", "A/1", "--year", "2021")
    import json

    history = json.loads(as_(grants, "rita", "history", "A/1", "--format", "json").stdout)
    assert [e["actor"] for e in history] == ["kari", "kari"]


def test_the_only_admin_cannot_lose_the_role_but_one_of_two_can(grants):
    """Else no one could manage users or frames again: the ledger would have no admin, for good."""
    setup(grants)
    before = event_count(grants.url)
    alone = as_(grants, "boss", "users", "add", "boss", "--role", "caseworker", "--office", "innlandet")
    assert (alone.exit_code, alone.stderr) == (
        6, "Error: role: 'boss' is the ledger's only admin; make another user admin first\n")
    assert event_count(grants.url) == before
    assert as_(grants, "boss", "users", "add", "rita", "--role", "admin").exit_code == 0
    assert as_(grants, "boss", "users", "add", "boss", "--role", "auditor").exit_code == 0
    listed = as_(grants, "rita", "users", "list", "--format", "csv").stdout.splitlines()
    assert listed == ["name,role,office", "boss,auditor,", "kari,caseworker,innlandet", "rita,admin,"]
    last = as_(grants, "rita", "users", "add", "rita", "--role", "auditor")
    assert last.exit_code == 6 and "only admin" in last.stderr
