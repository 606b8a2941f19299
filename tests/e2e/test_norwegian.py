"""Norwegian bokmål for caseworkers and auditors: chosen by --lang nb or the locale, English by
default; messages, headings, summaries and help from the catalogue, keys and codes unchanged."""

import json

import click
import pytest

from tests.e2e.test_cli import REF, apply
from tests.e2e.test_help import every_command

NB = {"LANG": "nb_NO.UTF-8"}


def test_grants_alone_in_norwegian_lists_the_commands_by_user_with_environment_and_exit_codes(grants):
    out = grants("--lang", "nb", "--help").stdout
    assert out.startswith("Bruk: grants [OPTIONS] COMMAND [ARGS]...\n\n"
                          "  Et register for kap. 765.62 Tilskudd til kommunalt rusarbeid og tilgrensende\n"
                          "  ordninger.\n")
    assert "Saksbehandlere: registrere vedtak:\n  apply       Registrer en søknad om en stilling.\n" in out
    assert "\nValg:\n" in out and "  -h, --help      Vis denne hjelpen og avslutt.\n" in out
    assert "  Avslutningskoder:\n" in out and "    6    avvist av en tilskudds- eller livsløpsregel\n" in out
    assert "    GRANTS_DB     databaseadressen, som --db" in out


def test_the_locale_chooses_norwegian_for_a_commands_help_and_its_options(grants):
    out = grants("grant", "--help", env_extra=NB).stdout
    assert "  Innvilg første år av en søknad; ordninger med årsstige beregner beløpet.\n\n  Eksempel:\n" in out
    assert "  --year YEAR           Året som innvilges (året det er søkt for).  [påkrevd]\n" in out
    assert "  --over-frame          Innvilg utover embetets budsjettramme (krever --reason).\n" in out


def test_a_decision_its_summary_and_its_refusals_in_norwegian(grants):
    apply(grants)
    granted = grants("grant", REF, "--year", "2021", "--lang", "nb")  # after the subcommand, as --db
    assert granted.stdout == "innvilget 2021/4711-3: aktiv, versjon 2; 2021: 660 000 kr, trinn 1, " \
                             "regel 765.62/ladder-2017\n"
    refused = grants("advance", REF, "--year", "2023", env_extra=NB)
    assert (refused.exit_code, refused.stderr) == (
        6, "Feil: --year: '2021/4711-3' kan bare videreføres til 2022, oppgitt 2023 "
        "(et senere år gjenopptar tilskuddet etter et opphold, med en begrunnelse)\n")
    missing = grants("reject", REF, env_extra=NB)
    assert (missing.exit_code, missing.stderr) == (2, "Feil: --reason: må oppgis\n")
    hinted = grants("apply", "N/1", "--kommune", "Hamar", "--scheme", "765.62", "--title", "t", "--fte", "50",
                    "--year", "2021", env_extra=NB)
    assert (hinted.exit_code, hinted.stderr) == (
        2, "Feil: --fte: må være større enn 0 og høyst 1, oppgitt '50'; mente du 0.50?\n")
    reported = grants("report", REF, "--year", "2021", "--spent", "600000", "--received", "2022-02-01", "--lang", "nb")
    assert reported.stdout.endswith("; brukt 600 000, til tilbakebetaling 60 000\n")


def test_tables_are_headed_in_norwegian_while_csv_and_json_keep_their_keys(grants):
    apply(grants)
    grants("grant", REF, "--year", "2021")
    grants("report", REF, "--year", "2021", "--spent", "600000", "--received", "2022-02-01")
    assert grants("funding", "--lang", "nb").stdout.splitlines() == [
        "  år  embete     stillinger  årsverk    beløp    brukt  tilbakebetales",
        "----  ---------  ----------  -------  -------  -------  --------------",
        "2021  Innlandet           1     1.00  660 000  600 000          60 000",
    ]
    shown = grants("show", REF, "--lang", "nb").stdout.splitlines()
    assert "            status: aktiv" in shown and "         første år: 2021" in shown
    assert "2021  600 000          60 000" in grants("show", REF, "--lang", "nb").stdout
    assert grants("funding", "--format", "csv", "--lang", "nb").stdout.splitlines() == [
        "year,office,positions,fte,amount,spent,to_reclaim", "2021,innlandet,1,1.00,660000,600000,60000"]
    rows = json.loads(grants("compliance", "--format", "json", "--lang", "nb", "--on", "2022-06-01").stdout)
    assert [(row["issue"], row["detail"]) for row in rows] == [  # the codes stay, the details are in words
        ("no-permanence-plan", "søknader til 765.62 skal beskrive planen for varighet"),
        ("to-reclaim", "60 000 av 660 000 utbetalt (berettiget 660 000, brukt 600 000)")]


def test_explain_and_check_speak_norwegian(grants):
    apply(grants, REF, "--permanence-plan", "i kommunens budsjett fra 2025")
    grants("grant", REF, "--year", "2021")
    lines = grants("explain", REF, "--year", "2021", "--lang", "nb").stdout.splitlines()
    assert lines[0] == "2021/4711-3 2021: 660 000 kr (765.62, trinn 1)"
    assert "  grunnlag      sats 660 000 kr per 100 % stilling" in lines  # labels as wide as the widest
    assert "  utregning     660 000 x (1.00 x 12) / 12 = 660 000 -> 660 000 kr (avrundet til hele kroner, " \
           "halve opp)" in lines
    checked = grants("check", "--on", "2023-06-01", "--lang", "nb")
    assert checked.exit_code == 6
    assert checked.stdout == "2021/4711-3  missing-report  2021: rapportfristen var 2022-02-15\n"
    assert checked.stderr == "1 funn: 1 missing-report\n"


@pytest.mark.parametrize(("bad_line", "message"), [
    ("apply,B/2,9999,765.62,Ruskonsulent,1,2021", "Feil: linje 3: kommune: ukjent kommunenummer '9999'"),
    # a command's lines are validated together; a bad one is still named on its own, in the language in use
    ("apply,B/2,3401,765.62,Ruskonsulent,x,2021", "Feil: linje 3: fte: må være et desimaltall som 0.5, oppgitt 'x'"),
], ids=["rule", "validation"])
def test_an_import_in_norwegian_names_each_bad_line(grants, tmp_path, bad_line, message):
    batch = tmp_path / "batch.csv"
    batch.write_text("command,ref,kommune,scheme,title,fte,year\n"
                     "apply,B/1,3401,765.62,Ruskonsulent,1,2021\n"
                     f"{bad_line}\n", encoding="utf-8")
    result = grants("import", str(batch), env_extra=NB)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message, "Feil: 1 linje(r) med feil; ingenting ble lagret"]


def test_an_unknown_language_falls_back_to_english_and_lang_overrides_the_locale(grants):
    for env in ({"LANG": "de_DE.UTF-8"}, {"LC_ALL": "C", "LANG": "nb_NO.UTF-8"}):
        assert grants("show", REF, env_extra=env).stderr == "Error: ref: no position '2021/4711-3'\n"
    assert grants("show", REF, "--lang", "en", env_extra=NB).stderr == "Error: ref: no position '2021/4711-3'\n"
    assert grants("show", REF, env_extra={"LANGUAGE": "sv:nb"}).stderr == "Feil: ref: ingen stilling '2021/4711-3'\n"
    unknown = grants("show", REF, "--lang", "xx")
    assert (unknown.exit_code, unknown.stderr) == (
        2, "Error: --lang: 'xx' is not one of 'nb', 'en'.\n")  # click's check, said as every other error


def test_the_language_of_one_run_does_not_carry_over_to_the_next(grants):
    assert grants("show", REF, "--lang", "nb").stderr.startswith("Feil: ")
    assert grants("show", REF).stderr == "Error: ref: no position '2021/4711-3'\n"
    assert grants("--help").stdout.startswith("Usage: grants [OPTIONS] COMMAND [ARGS]...")


def test_every_help_page_is_norwegian_with_no_english_help_text_left(grants):
    for path, command in every_command():
        out = grants(*path.split(), "--help", "--lang", "nb").stdout
        assert out.startswith(f"Bruk: grants {path} ") and "\nValg:\n" in out, path
        english = [p.help for p in command.params if isinstance(p, click.Option) and p.help]
        first_line = (command.help or "").strip().splitlines()[0]
        assert [text for text in [first_line, *english] if text[:30] in out] == [], path


def test_progress_on_a_terminal_names_its_stages_in_norwegian(tmp_path, sqlite_url):
    from tests.e2e.test_progress import BATCH, run_with_stderr_on_a_terminal

    path = tmp_path / "batch.csv"
    path.write_text(BATCH)
    env = {"GRANTS_DB": sqlite_url, "GRANTS_ACTOR": "kari", **NB}
    code, out, shown = run_with_stderr_on_a_terminal("import", str(path), env=env)
    assert (code, out) == (0, "importerte 600 kommandoer, 600 hendelser\n")
    assert "leser linjer" in shown and "kontrollerer vedtak" in shown and "skriver hendelser" in shown
    assert "0/600 [00:00<?, ? linjer/s]" in shown and "? hendelser/s]" in shown  # the units too
