"""What a command loads at start-up (docs/performance.md, issue 14): a reading command builds
neither the command models (pydantic), the rules nor OpenSSL; a decision on an open ledger does
not build the users' classes, and pydantic's plugin discovery (importlib.metadata) is skipped
while plugins are off. Each runs as its own process, as a user runs it."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from grants.cli.main import main
try:
    main()
except SystemExit as end:
    code = end.code
watched = {watched!r}
print(json.dumps({{"code": code, "loaded": [m for m in watched if m in sys.modules
                                            and type(sys.modules[m]).__name__ == "module"]}}), file=sys.stderr)
"""
WATCHED = ["pydantic", "grants.domain.rules", "grants.domain.users", "_hashlib", "importlib.metadata", "email",
           "locale", "fractions"]


def run(url, *args, env_extra=None):
    env = {**os.environ, "GRANTS_DB": url}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)  # as a user's shell: the CLI sets it itself
    env.update(env_extra or {})
    done = subprocess.run([sys.executable, "-c", PROBE.format(watched=WATCHED), *args], capture_output=True,
                          text=True, cwd=ROOT, env=env)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


def test_show_loads_no_command_models_rules_or_openssl(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    assert run(url, "init")[0] == 0
    assert run(url, "apply", "2021/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
               "--year", "2021", "--received", "2021-02-01")[0] == 0
    code, loaded = run(url, "show", "2021/1")
    assert code == 0
    # OpenSSL stays unloaded where CPython has its own SHA-1 (domain/ids.py falls back to hashlib)
    openssl = {"_hashlib"} if importlib.util.find_spec("_sha1") else set()
    assert loaded.isdisjoint({"pydantic", "grants.domain.rules", "importlib.metadata", "locale", "fractions",
                              *openssl}), loaded


def test_a_decision_skips_plugin_discovery_and_on_an_open_ledger_the_users(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    from grants.ledger.application import GrantsLedger

    GrantsLedger.create(url).close()  # open: no `grants init`, as the benchmark's ledgers
    code, loaded = run(url, "apply", "2021/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
                       "--fte", "1", "--year", "2021", "--received", "2021-02-01")
    assert code == 0
    assert "pydantic" in loaded and "grants.domain.rules" in loaded
    assert loaded.isdisjoint({"grants.domain.users", "importlib.metadata", "email"}), loaded
    code, loaded = run(url, "grant", "2021/1", "--year", "2021", "--decided", "2021-03-01")
    assert code == 0 and "importlib.metadata" not in loaded


def test_plugins_named_by_the_user_are_still_looked_for(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    from grants.ledger.application import GrantsLedger

    GrantsLedger.create(url).close()
    code, loaded = run(url, "apply", "2021/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
                       "--fte", "1", "--year", "2021", "--received", "2021-02-01",
                       env_extra={"PYDANTIC_DISABLE_PLUGINS": "some_plugin"})
    assert code == 0
    assert "importlib.metadata" in loaded  # pydantic's own loader ran, as the setting asks
