"""What a command loads at start-up (docs/performance.md, issue 14): a reading command builds
neither the command models, the rules nor OpenSSL; a decision imports no pydantic (only a batch
import validates with it) and on an open ledger does not build the users' classes. Each runs as
its own process, as a user runs it."""

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
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)  # as a user's shell: the import sets it itself
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


def test_a_decision_imports_no_pydantic_and_on_an_open_ledger_not_the_users(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    from grants.ledger.application import GrantsLedger

    GrantsLedger.create(url).close()  # open: no `grants init`, as the benchmark's ledgers
    code, loaded = run(url, "apply", "2021/1", "--kommune", "3401", "--scheme", "765.62", "--title", "t",
                       "--fte", "1", "--year", "2021", "--received", "2021-02-01")
    assert code == 0 and "grants.domain.rules" in loaded
    assert loaded.isdisjoint({"pydantic", "grants.domain.users", "importlib.metadata", "email"}), loaded
    code, loaded = run(url, "grant", "2021/1", "--year", "2021", "--decided", "2021-03-01")
    assert code == 0 and loaded.isdisjoint({"pydantic", "importlib.metadata"}), loaded


def test_a_batch_import_validates_with_pydantic(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    from grants.ledger.application import GrantsLedger

    GrantsLedger.create(url).close()
    batch = tmp_path / "b.csv"
    batch.write_text("command,ref,kommune,scheme,title,fte,year,received\n"
                     "apply,2021/1,3401,765.62,t,1,2021,2021-02-01\n")
    code, loaded = run(url, "import", str(batch))
    assert code == 0 and "pydantic" in loaded


def test_a_caseworker_command_is_built_only_when_asked_for():
    from grants.cli.caseworker import _Built

    built = _Built()
    assert built.get("grant").name == "grant" and built.get("bogus") is None
    assert list(built._built) == ["grant"]  # not the seven others' options (~1 ms each)
    assert list(built) == ["apply", "grant", "reject", "advance", "reduce-fte", "report", "terminate", "carry-over"]
