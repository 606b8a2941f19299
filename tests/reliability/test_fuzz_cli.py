"""Fuzzed CLI input: generated bad inputs across the commands. Every one exits with a documented
non-zero code, prints one `Error:` line and no traceback, writes no event, and shows no raw
control character. Each example starts from a valid command and spoils at least one value."""

import re
import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grants.cli.main import cli

DOCUMENTED = {2, 4, 5, 6}
REF = "2021/4711-3"


HELP = {"--help", "-h"}  # asking for help wherever they stand (click, exit 0): never a value given


def not_matching(pattern):
    return st.text(max_size=12).filter(lambda s: not re.fullmatch(pattern, s) and s not in HELP)


BAD = {
    "ref": st.one_of(not_matching(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}"), st.just("x" * 65)),
    "existing-ref": st.one_of(not_matching(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}"), st.just("nope/404")),
    "fte": st.one_of(not_matching(r"(0\.\d{1,2}|0?\.\d{1,2}|1(\.0{1,2})?)"), st.sampled_from(["0", "0.00", "1.01", "-0.5", "0.333", "NaN", "1e0"])),
    "year": st.one_of(not_matching(r"\d{4}"), st.sampled_from(["1999", "2101", "0000", "9999"])),
    "date": not_matching(r"\d{4}-\d{2}-\d{2}") | st.sampled_from(["2021-02-30", "2021-13-01", "2021-00-10"]),
    "kroner": not_matching(r"\d{1,11}") | st.sampled_from(["-1", "1.5", "1e6", "100000000001"]),
    "kommune": st.one_of(not_matching(r"\d{4}"), st.sampled_from(["0000", "9999", "3101"])),
    "kommune-filter": st.one_of(not_matching(r"\d{4}"), st.sampled_from(["0000", "9999"])),
    "text": st.text(alphabet=st.characters(max_codepoint=0x40), max_size=8).filter(
        lambda s: s.strip() == "" or re.search(r"[\x00-\x1f\x7f]", s)) | st.just("x" * 600),
    "scheme": st.text(max_size=10).filter(lambda s: s not in ("765.62", "765.62-new", "765.60-adults", "765.60-youth")),
}

VALID = {
    "apply": [("ARG", "ref", "A/9"), ("--kommune", "kommune", "3401"), ("--scheme", "scheme", "765.62"),
              ("--title", "text", "Ruskonsulent"), ("--fte", "fte", "1"), ("--year", "year", "2021"),
              ("--received", "date", "2021-02-01"), ("--wage-cost", "kroner", "700000")],
    "grant": [("ARG", "existing-ref", REF), ("--year", "year", "2021"), ("--decided", "date", "2021-03-01"),
              ("--reason", "text", "ok")],
    "advance": [("ARG", "existing-ref", REF), ("--year", "year", "2022"), ("--decided", "date", "2022-03-01")],
    "reduce-fte": [("ARG", "existing-ref", REF), ("--fte", "fte", "0.5"), ("--effective", "date", "2021-07-01")],
    "report": [("ARG", "existing-ref", REF), ("--year", "year", "2021"), ("--spent", "kroner", "1000"),
               ("--self-financing", "kroner", "5"), ("--received", "date", "2022-02-01")],
    "terminate": [("ARG", "existing-ref", REF), ("--cause", "scheme", "other"), ("--reason", "text", "x"),
                  ("--effective", "date", "2021-12-31")],
    "reject": [("ARG", "existing-ref", REF), ("--reason", "text", "x"), ("--decided", "date", "2021-03-01")],
    "show": [("ARG", "existing-ref", REF), ("--as-of", "date", "2030-01-01")],
    "explain": [("ARG", "existing-ref", REF), ("--year", "year", "2021")],
    "funding": [("--office", "scheme", "innlandet"), ("--kommune", "kommune-filter", "3401"), ("--scheme", "scheme", "765.62")],
}


@st.composite
def bad_invocation(draw):
    command = draw(st.sampled_from(sorted(VALID)))
    fields = VALID[command]
    spoiled = draw(st.sets(st.integers(0, len(fields) - 1), min_size=1, max_size=len(fields)))
    args = [command]
    for i, (option, kind, value) in enumerate(fields):
        if i in spoiled:
            value = draw(BAD[kind])
        if option == "ARG":
            args.append(value)
        else:
            args += [option, value]
    if command == "advance":  # the fixture position is granted for 2021 only: 2022 is valid, keep it bad
        args += ["--amount", draw(BAD["kroner"])] if not spoiled else []
    return args


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "l.sqlite"
    runner = CliRunner()
    env = {"GRANTS_DB": f"sqlite:///{path}", "GRANTS_ACTOR": "fuzzer"}
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    assert runner.invoke(cli, ["apply", REF, "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte",
                               "1", "--year", "2021"], env=env).exit_code == 0
    assert runner.invoke(cli, ["grant", REF, "--year", "2021"], env=env).exit_code == 0
    return path


def events(path):
    return sqlite3.connect(path).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(args=bad_invocation())
def test_every_bad_input_is_refused_cleanly(ledger_file, args):
    before = events(ledger_file)
    result = CliRunner().invoke(cli, args, env={"GRANTS_DB": f"sqlite:///{ledger_file}", "GRANTS_ACTOR": "fuzzer"})
    assert result.exit_code in DOCUMENTED, (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.output), (args, result.output)
    assert events(ledger_file) == before, args
