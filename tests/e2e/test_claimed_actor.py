"""SQLite: file permissions are the boundary; the OS user is recorded beside the actor, and an
actor named by GRANTS_ACTOR that differs from it is shown as claimed (issue 11, item 3)."""

import json

from grants.ledger.chain import os_login


def test_history_shows_the_os_login_beside_a_claimed_actor(grants):
    assert grants("apply", "C/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
                  "--year", "2021").exit_code == 0
    assert grants("grant", "C/1", "--year", "2021", env_extra={"GRANTS_ACTOR": os_login()}).exit_code == 0
    history = json.loads(grants("history", "C/1", "--format", "json").stdout)
    assert [(e["actor"], e["login"], e["claimed"]) for e in history] == [
        ("kari.nordmann", os_login(), os_login() != "kari.nordmann"), (os_login(), os_login(), False)]
    csv_lines = grants("history", "C/1", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].endswith(",reason,login,claimed,details")
    claimed = "true" if os_login() != "kari.nordmann" else "false"
    assert f",{os_login()},{claimed}," in csv_lines[1] and f",{os_login()},false," in csv_lines[2]
    table = grants("history", "C/1", env_extra={"COLUMNS": "300"}).stdout.splitlines()
    assert table[0].split()[-2:] == ["claimed", "details"]
    assert table[2][table[0].index("claimed"):].split()[0] == claimed  # the Applied line, under `claimed`
