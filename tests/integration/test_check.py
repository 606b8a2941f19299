"""`grants check` on both engines: the read models compared with the log, and a decision that
bypassed the rules found in the log."""

import json

from click.testing import CliRunner
from sqlalchemy import text

from grants.cli.main import cli
from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.projections.db import engine_for
from tests.integration.test_projections import scenario


def check(url, *args):
    return CliRunner().invoke(cli, ["--db", url, "check", "--on", "2025-06-01", *args], env={"GRANTS_ACTOR": "a"})


def test_the_read_models_match_the_log_until_a_row_is_edited(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    ledger.close()
    clean = check(db_url, "--only", "chain", "--only", "read-models")
    assert clean.exit_code == 0, clean.output
    assert clean.stderr.startswith("no findings (chain, read-models; judged on 2025-06-01; ledger digest 15:")
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE proj_years SET spent = 500000, to_reclaim = 160000 "
                          "WHERE ref = 'A/1' AND year = 2021"))
        conn.execute(text("DELETE FROM proj_positions WHERE ref = 'C/1'"))
    engine.dispose()
    edited = check(db_url, "--only", "read-models", "--format", "json")
    assert edited.exit_code == 7
    assert [(f["ref"], f["detail"]) for f in json.loads(edited.stdout)] == [
        ("A/1", "proj_years A/1 2021: spent 500000 in the table, 600000 from the log; "
                "to_reclaim 160000 in the table, 60000 from the log"),
        ("C/1", "proj_positions C/1: row missing from the table")]


def test_a_decision_that_bypassed_the_rules_without_a_reason_is_found(db_url):
    ledger = GrantsLedger(db_url)
    ledger.execute(c.parse(c.Apply, ref="D/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    position = ledger.position("D/1")
    position.trigger_event(position.Granted, year=2021, ladder_year=3, fte=position.fte, rate=440000,  # not grant()
                           amount=440000, rule_id="765.62/ladder-2017", over_frame=True, actor="x",
                           effective=position.received, reason=None)
    ledger.save(position)
    ledger.close()
    result = check(db_url, "--only", "deviation-without-reason")
    assert result.exit_code == 6
    assert result.stdout.splitlines() == ["D/1  deviation-without-reason  2021: granted over the frame",
                                          "D/1  deviation-without-reason  2021: placed on ladder year 3"]
