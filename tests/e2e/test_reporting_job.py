"""The example reporting job runs as a job would, against a ledger made through the CLI."""

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reporting_job.py"


def test_the_example_job_writes_funding_per_office_with_open_issues(grants):
    for ref, kommune, fte in (("A/1", "3401", "1"), ("A/2", "0301", "0.5")):
        grants("apply", ref, "--kommune", kommune, "--scheme", "765.62", "--title", "t", "--fte", fte,
               "--year", "2021", "--received", "2021-02-01")
        grants("grant", ref, "--year", "2021", "--decided", "2021-03-15")
    grants("report", "A/1", "--year", "2021", "--spent", "600000", "--received", "2022-02-10")
    env = {**os.environ, "GRANTS_ACTOR": "kari.nordmann"}
    result = subprocess.run([sys.executable, str(EXAMPLE), "--db", grants.url, "--year", "2021"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "office,positions,fte,granted_nok,spent_nok,to_reclaim_nok,open_issues",
        "innlandet,1,1.00,660000,600000,60000,2",             # 60 000 to reclaim; no permanence plan
        "ostfold-buskerud-oslo-akershus,1,0.50,330000,0,0,2",  # report missing; no permanence plan
        "all,2,1.50,990000,600000,60000,4"]
    before = subprocess.run([sys.executable, str(EXAMPLE), "--db", grants.url, "--year", "2021",
                             "--in-force", "2021-03-01"], capture_output=True, text=True, env=env, timeout=60)
    # nothing granted before 15 March 2021; the two applications lack their permanence plans
    assert before.stdout.splitlines()[1:] == ["all,0,0,0,0,0,2"]


def test_the_example_job_fails_in_one_line_with_the_clis_exit_code(grants, tmp_path):
    missing = tmp_path / "none.sqlite"
    result = subprocess.run([sys.executable, str(EXAMPLE), "--db", f"sqlite:///{missing}", "--year", "2021"],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: db: no ledger at {missing} (create it with grants init)\n"
    assert not missing.exists()
