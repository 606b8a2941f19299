"""Exit codes as documented: missing options are 2, a wrong file is 2, Ctrl-C is 130, and an
import reports every bad line of a file in one pass with the most specific code."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_cli import REF, apply, event_count

GRANTS = str(Path(sys.executable).parent / "grants")  # the script installed beside this interpreter


def test_a_grant_on_an_amount_based_scheme_without_amount_is_a_missing_option(grants):
    apply(grants, "N/1", scheme="765.62-new", year="2023")
    result = grants("grant", "N/1", "--year", "2023")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --amount: 765.62-new is amount-based: the amount is required\n")


def test_a_caseworker_without_office_is_a_missing_option(grants):
    result = grants("users", "add", "ola", "--role", "caseworker")
    assert result.exit_code == 2
    assert result.stderr == "Error: --office: is required for a caseworker (the office whose positions they record)\n"
    assert grants("users", "list", "--format", "csv").stdout == "name,role,office\n"


def test_verify_of_a_file_that_is_not_an_export_is_a_usage_error_and_a_damaged_export_fails(grants, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    result = grants("verify", "--file", str(notes))
    assert (result.exit_code, result.stderr) == (
        2, f"Error: --file: '{notes}' is not an export of grants export "
           "(no grants-export/1 manifest and no event lines)\n")
    apply(grants)
    export = tmp_path / "ledger.jsonl"
    assert grants("export", "--all", "--output", str(export)).exit_code == 0
    lines = export.read_text().splitlines()
    export.write_text("\n".join([lines[0][:-5], *lines[1:]]) + "\n")  # cut the end off the event line
    damaged = grants("verify", "--file", str(export))
    assert (damaged.exit_code, damaged.stderr) == (7, "Error: export line 1 is damaged (JSONDecodeError)\n")


def test_export_into_a_missing_folder_is_a_usage_error_and_makes_no_folder(grants, tmp_path):
    apply(grants)
    target = tmp_path / "exports" / "ledger.jsonl"
    result = grants("export", "--all", "--output", str(target))
    assert (result.exit_code, result.stderr) == (
        2, f"Error: --output: no folder '{tmp_path / 'exports'}' to write 'ledger.jsonl' into\n")
    assert not (tmp_path / "exports").exists()


def test_verify_on_an_empty_ledger_says_so(grants):
    result = grants("verify")
    assert (result.exit_code, result.stdout) == (0, "the ledger is empty: no events to verify yet\n")


BATCH = "\n".join([
    "command,ref,kommune,scheme,title,fte,year,amount,spent",
    "apply,I/1,3401,765.62,Team,1,2021,,",          # 2 good
    "apply,I/2,3401,765.62,Team,50,2021,,",         # 3 format: fte
    "grant,I/1,,,,,2022,,",                         # 4 rule: applied for 2021
    "apply,I/3,4601,765.62,Team,1,2021,,",          # 5 permission: Vestland is not kari's office
    "grant,I/2,,,,,2021,,",                         # 6 not checked: I/2's line 3 is bad
    "fly,I/4,,,,,,,",                               # 7 format: no such command
    "apply,I/5,Hamar,765.62,Team,0.5,2021,,",       # 8 good: a kommune by name
])


def test_an_import_reports_format_rule_and_permission_errors_together_by_line(grants, tmp_path):
    grants("users", "add", "kari.nordmann", "--role", "caseworker", "--office", "innlandet")
    grants("init", env_extra={"GRANTS_ACTOR": "admin"})  # from now on roles count
    path = tmp_path / "batch.csv"
    path.write_text(BATCH + "\n", encoding="utf-8")
    result = grants("import", str(path))
    assert result.exit_code == 6  # the most specific of 2, 5 and 6
    assert result.stderr.splitlines() == [
        "Error: line 3: fte: must be more than 0 and at most 1, got '50'; did you mean 0.50?",
        "Error: line 4: year: 'I/1' was applied for 2021, not 2022",
        "Error: line 5: office: 'I/3' belongs to vestland; 'kari.nordmann' works for innlandet",
        "Error: line 7: command: must be one of apply, grant, reject, advance, reduce-fte, report, terminate, "
        "carry-over, got 'fly'",
        "Error: 4 bad line(s); 1 later line(s) of the same positions not checked; nothing was written",
    ]
    assert event_count(grants.url) == 3  # kari, the settings and the admin: nothing of the batch


def test_an_import_with_only_permission_problems_exits_5(grants, tmp_path):
    grants("users", "add", "kari.nordmann", "--role", "caseworker", "--office", "innlandet")
    grants("init", env_extra={"GRANTS_ACTOR": "admin"})
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"command": "apply", "ref": "P/1", "kommune": "Bergen", "scheme": "765.62",
                                "title": "t", "fte": "0,5", "year": 2021}) + "\n", encoding="utf-8")
    result = grants("import", str(path))
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        5, "Error: line 1: office: 'P/1' belongs to vestland; 'kari.nordmann' works for innlandet")


def start(*args, env):
    """The installed command as a process of its own, with Ctrl-C delivered as a terminal would."""
    return subprocess.Popen([GRANTS, *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_ctrl_c_stops_projections_follow_with_exit_130_and_one_line(grants):
    apply(grants)
    env = {"GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    follow = start("projections", "follow", "--interval", "0.1", env=env)
    assert follow.stdout.readline() == "folded 1 events up to 1\n"  # running: it has caught up once
    follow.send_signal(signal.SIGINT)
    out, err = follow.communicate(timeout=20)
    assert (follow.returncode, out, err) == (130, "", "Error: interrupted\n")


def test_ctrl_c_during_a_long_import_writes_nothing_and_exits_130(grants, tmp_path):
    path = tmp_path / "big.csv"
    rows = [f"apply,L/{n},3401,765.62,t,1,2021" for n in range(60_000)]
    path.write_text("command,ref,kommune,scheme,title,fte,year\n" + "\n".join(rows) + "\n")
    env = {"GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    importing = start("import", str(path), env=env)
    try:
        importing.wait(timeout=1.5)  # reading and checking 60 000 lines takes longer than this
    except subprocess.TimeoutExpired:
        importing.send_signal(signal.SIGINT)
    out, err = importing.communicate(timeout=30)
    assert (importing.returncode, out, err) == (130, "", "Error: interrupted\n")
    assert event_count(grants.url) == 0


def test_a_reader_that_stops_reading_ends_the_output_not_the_command(grants, tmp_path):
    """`grants check | head -1`, `grants check 2>&1 | head`, `grants expiry | head`: the reader
    closes the pipe. Every command still ends with its own exit code (check 6 for its findings,
    projections check 7 for a difference, an import the code of its problems, a report 0); none
    reports an internal error (click's own answer to a broken pipe was exit 1)."""
    apply(grants)
    assert grants("grant", REF, "--year", "2021", "--decided", "2021-03-01").exit_code == 0
    assert grants("funding").exit_code == 0  # the read models catch up
    with sqlite3.connect(grants.url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE proj_years SET amount = 1")
    bad = tmp_path / "bad.csv"
    bad.write_text("command,ref,year\ngrant,NO/1,2021\n")  # no such position: exit 4, nothing written
    env = {**os.environ, "GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    cases = ((("check", "--on", "2025-06-01", "--ignore", "read-models"), 6), (("check", "--format", "json"), 7),
             (("projections", "check"), 7), (("import", str(bad)), 4), (("expiry",), 0), (("show", REF), 0),
             (("history", REF, "--format", "csv"), 0))
    for args, code in cases:
        for closed in ("stdout", "both"):
            read, write = os.pipe()
            os.close(read)  # gone before the first line: every write meets a broken pipe
            err = write if closed == "both" else subprocess.PIPE
            done = subprocess.run([GRANTS, *args], env=env, stdout=write, stderr=err, text=True)
            os.close(write)
            assert (args, closed, done.returncode) == (args, closed, code)
            assert closed == "both" or ("Traceback" not in done.stderr and "internal" not in done.stderr)
    assert event_count(grants.url) == 2


def test_a_caller_s_own_stdout_file_keeps_its_descriptor_and_the_ledger_stays_whole(grants, tmp_path):
    """A job that runs the CLI in its own process with sys.stdout pointed at a file it holds no
    other reference to: the stream put in its place must keep that file open. Dropped, it closed
    its descriptor, the ledger's SQLite file was opened on the same number, and the report's lines
    were written over the ledger's first page (found on a 1M-event ledger: "not a database")."""
    apply(grants)
    out = tmp_path / "report.txt"
    job = ("import sys; sys.stdout = open(sys.argv[1], 'w', encoding='utf-8'); "
           "from grants.cli.main import main; sys.argv = ['grants', 'show', sys.argv[2]]; main()")
    env = {**os.environ, "GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    done = subprocess.run([sys.executable, "-c", job, str(out), REF], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert REF in out.read_text(encoding="utf-8")
    with open(grants.url.removeprefix("sqlite:///"), "rb") as ledger:
        assert ledger.read(16) == b"SQLite format 3\x00"
    assert event_count(grants.url) == 1
    assert grants("verify").exit_code == 0
