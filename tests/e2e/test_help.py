"""Help and shell completion as a new user meets them (issue: first contact)."""

import re

import click
import pytest
from click.shell_completion import ShellComplete

from grants.cli.main import cli

GROUPS = ("users", "frame", "projections")
TYPED = {"--year": "YEAR", "--fte": "FTE", "--fte-filled": "FTE", "--amount": "NOK", "--spent": "NOK",
         "--wage-cost": "NOK", "--self-financing": "NOK", "--received": "YYYY-MM-DD", "--decided": "YYYY-MM-DD",
         "--effective": "YYYY-MM-DD", "--on": "YYYY-MM-DD"}


def every_command():
    """(path, command) for every command and subcommand, as `grants --help` lists them."""
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        yield name, command
        for sub_name, sub in getattr(command, "commands", {}).items():
            yield f"{name} {sub_name}", sub


def test_grants_alone_prints_its_help_grouped_by_user_with_environment_and_exit_codes(grants):
    result = grants()
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    sections = ["Caseworkers: record decisions:", "Auditors: replay and verify:", "Reporting:", "Administration:",
                "Try it:"]
    assert [out.index(s) for s in sections] == sorted(out.index(s) for s in sections)
    assert "GRANTS_DB     the database URL" in out and "GRANTS_ACTOR  who records the decisions" in out
    assert "    2    usage or invalid input, or no ledger at the URL" in out
    assert "    130  interrupted (Ctrl-C)" in out
    assert "\\n" not in out  # no literal newlines
    assert not [line for line in out.splitlines()[1:] if line.endswith("...")]  # no description cut off


@pytest.mark.parametrize("group", GROUPS)
def test_a_command_group_alone_prints_its_help(grants, group):
    result = grants(group)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(f"Usage: grants {group} [OPTIONS] COMMAND [ARGS]...")
    assert "Example:" in result.stdout and not result.stdout.split("Commands:")[1].count("...")


def test_every_command_has_an_example_and_a_one_line_summary():
    for path, command in every_command():
        assert "Example" in (command.help or ""), path
        short = command.get_short_help_str(limit=1000)
        assert short and len(short) <= 60 and "..." not in short, (path, short)


def test_every_option_has_a_description_and_typed_values_a_typed_metavar():
    ctx = click.Context(cli)
    for path, command in every_command():
        for param in command.params:
            if not isinstance(param, click.Option) or param.name == "help":
                continue
            assert param.help, f"grants {path} {param.opts[0]} has no description"
            metavar = param.make_metavar(ctx) if not param.is_flag else None
            free_text = ("--title", "--reason", "--focus", "--partner", "--permanence-plan")
            assert metavar != "TEXT" or param.opts[0] in free_text, (path, param.opts)
            if param.opts[0] in TYPED:
                assert metavar == TYPED[param.opts[0]], (path, param.opts[0], metavar)


def test_the_database_option_is_accepted_after_the_subcommand(grants):
    assert grants("projections", "status", "--db", grants.url, "--format", "csv").exit_code == 0
    wrong = grants("show", "X/1", "--db", "sqlite:////nowhere/at/all.sqlite")
    assert (wrong.exit_code, wrong.stderr) == (2, "Error: db: no ledger at /nowhere/at/all.sqlite "
                                                  "(create it with grants init)\n")


def test_version_prints_the_installed_version(grants):
    result = grants("--version")
    assert result.exit_code == 0 and re.fullmatch(r"grants \d+\.\d+\.\d+\n", result.stdout)


def completions(args, incomplete, env=None, monkeypatch=None):
    """What the shell would offer, through click's own completion machinery."""
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    complete = ShellComplete(cli, {}, "grants", "_GRANTS_COMPLETE")
    return [(item.value, item.help) for item in complete.get_completions(args, incomplete)]


def test_completion_offers_schemes_offices_and_kommuner_with_their_names():
    assert [v for v, _ in completions(["apply", "X/1", "--scheme"], "765.6")] == [
        "765.62", "765.62-new", "765.60-adults", "765.60-youth"]
    assert completions(["funding", "--office"], "inn") == [("innlandet", "Statsforvalteren i Innlandet")]
    assert completions(["apply", "X/1", "--kommune"], "340") == [
        ("3401", "Kongsvinger"), ("3403", "Hamar"), ("3405", "Lillehammer"), ("3407", "Gjøvik")]
    assert ("3025", "Asker (until 2023)") in completions(["funding", "--kommune"], "30")
    assert completions(["apply", "X/1", "--kommune"], "hama") == [("Hamar", "3403"), ("Hamarøy", "1875")]
    assert completions(["users", "add", "kari", "--office"], "tr") == [
        ("troms-og-finnmark", "Statsforvalteren i Troms og Finnmark"), ("trondelag", "Statsforvalteren i Trøndelag")]
    assert [v for v, _ in completions(["terminate", "X/1", "--cause"], "w")] == ["wound-down", "withdrawn"]


def test_completion_offers_the_refs_of_the_ledger(grants, monkeypatch):
    for ref in ("2021/1-1", "2021/2-1", "2022/3-1"):
        grants("apply", ref, "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1", "--year", "2021")
    env = {"GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    assert completions(["show"], "2021/", env, monkeypatch) == [("2021/1-1", None), ("2021/2-1", None)]
    assert completions(["grant"], "", env, monkeypatch) == [("2021/1-1", None), ("2021/2-1", None), ("2022/3-1", None)]
    assert completions(["--db", grants.url, "history"], "2022", {"GRANTS_DB": ""}, monkeypatch) == [("2022/3-1", None)]


def test_completion_without_a_ledger_offers_nothing_and_creates_nothing(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "sub" / "ledger.sqlite"
    assert completions(["show"], "", {"GRANTS_DB": f"sqlite:///{missing}"}, monkeypatch) == []
    assert completions(["show", "--db", f"sqlite:///{missing}"], "", {}, monkeypatch) == []
    assert not (tmp_path / "sub").exists()
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_completion_scripts_are_printed(grants, shell):
    result = grants(env_extra={"_GRANTS_COMPLETE": f"{shell}_source"})
    assert result.exit_code == 0 and "_GRANTS_COMPLETE" in result.stdout and result.stderr == ""


def test_the_shell_asks_through_the_environment_and_gets_the_refs(grants):
    grants("apply", "2021/1-1", "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
           "--year", "2021")
    result = grants(env_extra={"_GRANTS_COMPLETE": "bash_complete", "COMP_WORDS": "grants explain 2021/",
                               "COMP_CWORD": "2"})
    assert (result.exit_code, result.stdout) == (0, "plain,2021/1-1\n")
