"""The README's walkthrough, run as it stands on a fresh machine (a new HOME, no ledger)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    return re.search(r"## Using it.*?```sh\n(.*?)```", text, re.S).group(1)


@pytest.mark.slow
def test_the_readme_walkthrough_runs_on_a_fresh_machine_with_dates_from_the_data(tmp_path):
    bin_dir = str(Path(sys.executable).parent)  # the installed grants beside this interpreter
    env = {"HOME": str(tmp_path), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    script = "set -e\n" + walkthrough() + "grants show 2021/4711-3 --format json > show.json\n"
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert (tmp_path / "grants" / "office.sqlite").is_file()
    position = json.loads((tmp_path / "show.json").read_text())
    assert {y["year"]: y["amount"] for y in position["years"]} == {2021: 660000, 2022: 412500, 2023: 165000,
                                                                    2024: 165000}
    assert position["received"] == "2021-02-10"  # the 2021 application deadline, not today
    assert position["termination"]["effective"] == "2024-12-31"
    assert [(r["year"], r["received"], r["to_reclaim"]) for r in position["reports"]] == [
        (2021, "2022-02-15", 0), (2022, "2023-02-01", 12500), (2023, "2024-02-01", 0)]  # each deadline: not late
    out = run.stdout
    assert "  arithmetic  550 000 x (1.00 x 6 + 0.50 x 6) / 12 = 412 500 -> 412 500 NOK" in out
    as_granted = out.split("       version: ")[2]  # the second `show`, as of the grant
    assert as_granted.startswith("2\n") and "        status: active\n" in as_granted
    assert out.splitlines()[-4:] == [
        "ref          year  office     kommune no.  scheme  issue           detail",
        "-----------  ----  ---------  -----------  ------  --------------  " + "-" * 56,
        "2021/4711-3  2022  Innlandet  3401         765.62  to-reclaim      "
        "12 500 of 412 500 paid (entitled 412 500, spent 400 000)",
        "2021/4711-3  2024  Innlandet  3401         765.62  missing-report  report was due 2025-03-01"]
