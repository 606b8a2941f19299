"""Auditor commands: replay a position (show, history), explain an amount, verify the hash
chain, export events with their hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from grants.cli.axes import time_axes, time_cut
from grants.cli.completion import complete_ref
from grants.cli.output import FORMATS, YEAR, cell, emit_rows, heading, kroner, raw, safe, table, to_json
from grants.domain.errors import InvalidInput, NotFound, VerificationFailed
from grants.domain.i18n import _
from grants.domain.money import format_fte
from grants.domain.refs import parse_ref


@click.command("show", short_help="A position: status, FTE, funded years, reports.")
@click.argument("ref", metavar="REF", shell_complete=complete_ref)
@click.option("--version", "version", type=click.IntRange(min=1), metavar="N",
              help="The position after its N-th event (see grants history).")
@time_axes
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def show_cmd(ctx, ref, version, known_at, in_force, fmt):
    """Show a position: its status, FTE, every funded year, its reports and how it ended (as
    known then, or in force then).

    \b
    Example:
      grants show 2021/4711-3
      grants show 2021/4711-3 --known-at 2024-03-01T12:00:00Z --format json
    """
    from grants.cli.views import (
        CARRY_COLUMNS,
        REPORT_COLUMNS,
        SHOW_CSV_COLUMNS,
        YEAR_COLUMNS,
        position_rows,
        position_view,
    )

    parse_ref(ref)
    ledger = ctx.obj.ledger()
    cut = time_cut(known_at, in_force)
    if version is not None and not cut.is_now:
        raise InvalidInput("--version: " + _("give --version or a time cut (--known-at, --in-force), not both"))
    position = ledger.position(ref, version=version) if cut.is_now else ledger.position_at(ref, cut)
    if version is not None and position.version != version:
        raise InvalidInput("--version: " + _("{ref} has only {count} events, got {version}").format(
            ref=repr(ref), count=position.version, version=version))
    view = position_view(position)
    if fmt == "json":
        click.echo(to_json(view))
        return
    if fmt == "csv":
        emit_rows(position_rows(view), "csv", SHOW_CSV_COLUMNS)
        return
    width = max(14, *(len(heading(key)) for key in (*SHOW_FIELDS, "partners", "terminated", "rejected")))
    for key in SHOW_FIELDS:
        if view[key] is not None:
            shown = view["office_name"] if key == "office" and view["office_name"] else cell(key, view[key])
            click.echo(f"{heading(key):>{width}}: {safe(shown)}")
    if view["partners"]:
        click.echo(f"{heading('partners'):>{width}}: {safe(', '.join(view['partners']))}")
    if view["termination"]:
        t = view["termination"]
        ended = _("{cause} from {effective} ({reason})").format(cause=t["cause"], effective=t["effective"],
                                                                reason=t["reason"])
        click.echo(f"{heading('terminated'):>{width}}: {safe(ended)}")
    if view["rejection"]:
        click.echo(f"{heading('rejected'):>{width}}: {safe(view['rejection'])}")
    click.echo("")
    if view["carried_over"]:  # the years' money moved by carry-over decisions, beside each year
        moved = {y["year"]: {"carried_in": 0, "carried_out": 0} for y in view["years"]}
        for c in view["carried_over"]:
            moved[c["to_year"]]["carried_in"] += c["amount"]
            moved[c["from_year"]]["carried_out"] += c["amount"]
        click.echo(table([{**y, **moved[y["year"]]} for y in view["years"]], YEAR_COLUMNS + CARRY_COLUMNS))
    else:
        click.echo(table(view["years"], YEAR_COLUMNS))
    if view["reports"]:
        click.echo("")
        click.echo(table(view["reports"], REPORT_COLUMNS))


SHOW_FIELDS = ("ref", "version", "kommunenummer", "kommune", "office", "scheme", "title", "status", "fte",
               "ladder_year", "first_year", "received", "wage_cost", "focus")  # `show` as a table, in this order
HISTORY_COLUMNS = ["version", "event", "recorded", "effective", "actor", "status", "fte", "ladder_year", "year",
                   "amount", "reason", "login", "claimed", "details"]
# The event's own fields shown in other columns (or the ref, the same on every line): left out of `details`.
SHOWN_ELSEWHERE = frozenset({"ref", "actor", "effective", "reason"})


def details(payload: dict, for_people: bool) -> str:
    """The event's own data in one cell: the state columns are the position after the event (its
    latest year), not what the event was about. For people `year 2018; spent 600 000; to reclaim
    0`; in CSV, as its other columns, raw: `year=2018; spent=600000; to_reclaim=0`. Unset values
    (None, False, nothing) are left out; 0 is a value."""
    def shown(key: str, value: Any) -> str:
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        return f"{heading(key)} {cell(key, value)}" if for_people else f"{key}={raw(value)}"

    return "; ".join(shown(key, value) for key, value in payload.items() if key not in SHOWN_ELSEWHERE
                     and value is not None and value is not False and value != [] and value != "")


@click.command("history", short_help="Every event of a position, who recorded it, and when.")
@click.argument("ref", metavar="REF", shell_complete=complete_ref)
@time_axes
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def history_cmd(ctx, ref, known_at, in_force, fmt):
    """Every event of a position in order: its version, when it was recorded (UTC), the business
    date it takes effect, who recorded it, and the state after it; with --known-at or --in-force,
    only the events known or in force then.

    \b
    Example:
      grants history 2021/4711-3 --format json
    """
    from grants.cli.views import event_view
    from grants.ledger.time_axes import cut_events, replay

    parse_ref(ref)
    ledger = ctx.obj.ledger()
    logins = ledger.recorded_logins(ref)  # who the chain row names: session_user, or the OS user on SQLite
    events = cut_events(ledger.events_of(ref), time_cut(known_at, in_force))
    rows = []
    for domain_event, state in replay(events):
        row = event_view(domain_event, state)
        row["login"] = logins.get(row["version"])
        row["claimed"] = row["login"] is not None and row["actor"] != row["login"]  # actor named, not logged in
        rows.append(row)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    flat = [{"version": r["version"], "event": r["event"], "recorded": r["recorded"],
             "effective": r["effective"], "actor": r["actor"], "status": r["state"]["status"],
             "fte": r["state"]["fte"], "ladder_year": r["state"]["ladder_year"],
             "year": r["state"]["year"], "amount": r["state"]["amount"], "reason": r["reason"], "login": r["login"],
             "claimed": r["claimed"], "details": details(r["payload"], for_people=fmt == "table")}
            for r in rows]
    emit_rows(flat, fmt, HISTORY_COLUMNS)


@click.command("verify", short_help="Recompute the hash chain; print the ledger digest.")
@click.option("--digest", metavar="N:HASH",
              help="A digest written down earlier: the first N events must still hash to it.")
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Verify an export (grants export) instead of the database.")
@click.option("--checkpoints", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Checkpoint file (env GRANTS_CHECKPOINTS): compared with its last line, appended to on success.")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def verify_cmd(ctx, digest, file, checkpoints, fmt):
    """Recompute the hash chain from the events; print the ledger digest, or name the first
    altered, missing or reordered event (exit 7).

    \b
    Example:
      grants verify --digest 120:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    from grants.cli.progress import progress
    from grants.ledger.config import checkpoints_path
    from grants.ledger.verify import parse_digest, verify_ledger

    expected = parse_digest(digest) if digest else None
    manifest = {}
    with progress(ctx) as report_progress:
        if file is not None:
            from grants.ledger.export import verify_export

            report, manifest = verify_export(file, expected, progress=report_progress)
        else:
            report = verify_ledger(ctx.obj.ledger(), expected, checkpoints or checkpoints_path(),
                                   progress=report_progress)
    if report.problem:
        raise VerificationFailed(report.problem)
    result = {"verified": report.count, "digest": report.digest, "digest_checked": report.digest_checked,
              "checkpoint": f"{report.checkpoint.count}:{report.checkpoint.head}" if report.checkpoint else None,
              "checkpoint_appended": report.appended is not None, "keyed_since": report.keyed_since,
              "macs_checked": report.macs_checked}
    if fmt == "json":
        click.echo(to_json(result))
        return
    if fmt == "csv":  # the documented three columns; JSON carries the rest
        emit_rows([result], "csv", ["verified", "digest", "digest_checked"], exactly=True)
        return
    if report.count == 0:
        click.echo(_("the export holds no events: nothing to verify") if file is not None
                   else _("the ledger is empty: no events to verify yet"))
        return
    if file is not None and manifest.get("scope") != "all":
        click.echo(_("verified {count} events of {scope}: their position chain is intact (the log chain needs an "
                     "--all export)").format(count=report.count, scope=safe(manifest.get("scope"))))
        return
    click.echo(_("verified {count} events; ledger digest {digest}").format(count=report.count, digest=report.digest))
    if digest:
        click.echo(_("digest {digest} matches").format(digest=digest))
    if report.checkpoint:
        click.echo(_("checkpoint of {at} ({count} events) matches").format(at=report.checkpoint.at,
                                                                          count=report.checkpoint.count))
    if report.appended:
        click.echo(_("checkpoint appended"))
    if report.keyed_since:
        sealed = _("every MAC matches the key") if report.macs_checked else _("MACs not checked (no chain key given)")
        click.echo(_("keyed since event {event}: {sealed}").format(event=report.keyed_since, sealed=sealed))


@click.command("explain", short_help="How a year's amount was computed, step by step.")
@click.argument("ref", metavar="REF", shell_complete=complete_ref)
@click.option("--year", required=True, type=YEAR, help="The funded year to explain.")
@click.option("--format", "fmt", type=FORMATS, default="table", help="Output format.")
@click.pass_context
def explain_cmd(ctx, ref, year, fmt):
    """How a year's amount was computed: the rule, the rate, the FTE month by month, the exact
    arithmetic and the rounding to whole kroner; a discretionary amount beside the rule's; the
    entitlement, carry-over and the sum to reclaim.

    \b
    Example:
      grants explain 2021/4711-3 --year 2022
    """
    parse_ref(ref)
    position = ctx.obj.ledger().position(ref)
    if year not in position.years and year not in position.carried_in:
        raise NotFound("--year: " + _("{ref} has no funded year {year}").format(ref=repr(ref), year=year))
    result = explanation(position, year)
    if fmt == "json":
        click.echo(to_json(result))
        return
    if fmt == "csv":  # one row per stretch of months at one FTE
        fixed = {k: result[k] for k in ("ref", "year", "scheme", "ladder_year", "rule", "rate", "base", "base_fte",
                                        "amount", "rule_amount", "deviation", "entitlement", "to_reclaim")}
        emit_rows([{**fixed, **s} for s in result["stretches"]] or [fixed], "csv",
                  [*fixed, "from_month", "months", "fte"])
        return
    for line in explanation_lines(result):
        click.echo(safe(line))


def explanation(position, year: int) -> dict:
    """Every figure behind a year, as plain values (the JSON shape of `explain`)."""
    from grants.domain import rules

    result: dict = {"ref": position.ref, "year": year, "scheme": position.scheme, "ladder_year": None, "rule": None,
                    "rule_note": None, "rate": None, "base": None, "base_fte": None, "stretches": [],
                    "granted_amount": 0, "amount": 0, "arithmetic": None, "exact": None, "recomputed_matches": True,
                    "rule_amount": None, "rule_arithmetic": None, "deviation": None, "reason": None,
                    "fte_kept": [], "carried_in": position.carried_in.get(year, 0),
                    "carried_out": position.carried_out.get(year, 0), "kommune_changes": [
                        {"year": y, "from": old, "to": new} for y, old, new in position.kommune_changes if y == year]}
    funded = position.years.get(year)
    if funded is not None:
        computation = funded.computation()
        by_rule = funded.rule_computation()
        result.update(
            ladder_year=funded.ladder_year, rule=funded.rule_id, rule_note=_(rules.rule_by_id(funded.rule_id).note),
            rate=funded.rate, base=funded.base, base_fte=funded.base_fte,
            stretches=[{"from_month": m, "months": n, "fte": f} for m, n, f in funded.stretches()],
            granted_amount=funded.granted_amount, amount=funded.amount, arithmetic=computation.arithmetic(),
            exact=str(computation.fraction), recomputed_matches=computation.amount == funded.amount,
            rule_amount=by_rule.amount if by_rule else None,
            rule_arithmetic=by_rule.arithmetic() if by_rule else None,
            deviation=funded.amount - by_rule.amount if by_rule else None, reason=funded.reason,
            fte_kept=[{"from_month": m, "fte": f} for m, f in funded.kept])
    money = position.money(year)
    result["report"] = None
    result["entitlement"] = result["to_reclaim"] = result["own_money"] = None
    if money is not None:
        latest = position.reports[year][-1]
        entitled = position.entitlement(year, latest.fte_filled)
        result.update(entitlement=money.entitlement, to_reclaim=money.to_reclaim, own_money=money.own_money)
        result["report"] = {
            "spent": money.spent, "paid": money.paid, "fte_filled": latest.fte_filled,
            "months_funded": position.months_funded(year) if funded is not None else None,
            "entitlement_arithmetic": (entitled.arithmetic if entitled is not None
                                       and latest.entitlement == entitled.amount else None),
            "reclaim_arithmetic": _("{paid} paid + {carried_in} carried in - {carried_out} carried out - min({spent} "
                                    "spent, {usable} usable) = {to_reclaim}").format(
                paid=kroner(money.paid), carried_in=kroner(money.carried_in), carried_out=kroner(money.carried_out),
                spent=kroner(money.spent), usable=kroner(money.usable), to_reclaim=kroner(money.to_reclaim))}
    return result


def explanation_lines(r: dict) -> list[str]:
    """The table form of `explain`: one fact per line, kroner grouped, FTE with two decimals."""
    if r["ladder_year"] is not None:
        head = _("{ref} {year}: {amount} NOK ({scheme}, ladder year {ladder_year})")
    else:
        head = _("{ref} {year}: {amount} NOK ({scheme})")
    first = head.format(ref=r["ref"], year=r["year"], amount=kroner(r["amount"]), scheme=r["scheme"],
                        ladder_year=r["ladder_year"])
    lines: list[Fact] = []
    if r["rule"] is not None:
        lines += _rule_lines(r)
    else:
        lines.append(_line(_("no grant"), _("only money carried in from {year}").format(year=r["year"] - 1)))
    for change in r["kommune_changes"]:
        lines.append(_line(_("kommune"), _("{old} -> {new} from {year} (kommune reform)").format(
            old=change["from"], new=change["to"], year=change["year"])))
    if r["carried_in"] or r["carried_out"]:
        lines.append(_line(_("carry-over"), _("{carried_in} carried in from {before}, {carried_out} carried out to "
                                              "{after}").format(
            carried_in=kroner(r["carried_in"]), before=r["year"] - 1, carried_out=kroner(r["carried_out"]),
            after=r["year"] + 1)))
    report = r["report"]
    if report is None:
        lines.append(_line(_("report"), _("none yet")))
        return [first, *_aligned(lines)]
    # Without an FTE filled, the arithmetic below ends with the months funded: said once.
    months = (_(", {months} months funded").format(months=report["months_funded"])
              if report["months_funded"] is not None and report["fte_filled"] is not None else "")
    filled = (_(", FTE filled {fte}").format(fte=format_fte(report["fte_filled"]))
              if report["fte_filled"] is not None else "")
    lines.append(_line(_("entitlement"), _("{amount} NOK").format(amount=kroner(r["entitlement"])) + months + filled))
    if report["entitlement_arithmetic"]:
        lines.append(_line("", report["entitlement_arithmetic"]))
    lines.append(_line(_("to reclaim"), report["reclaim_arithmetic"]))
    if r["own_money"]:
        lines.append(_line(_("own money"), _("{amount} NOK spent above the grant, the kommune's own money").format(
            amount=kroner(r["own_money"]))))
    return [first, *_aligned(lines)]


def _rule_lines(r: dict) -> list[Fact]:
    """The rule, its basis, the months at each FTE, the arithmetic and any discretion."""
    if r["rate"] is not None and r["rule_amount"] is None:
        basis = _("rate {rate} NOK per 100 % FTE").format(rate=kroner(r["rate"]))
    else:
        basis = _("entered amount {amount} NOK at FTE {fte}").format(amount=kroner(r["base"]),
                                                                   fte=format_fte(r["base_fte"]))
    lines = [_line(_("rule"), f"{r['rule']}: {r['rule_note']}"), _line(_("basis"), basis)]
    for s in r["stretches"]:
        span = f"{s['from_month']}-{s['from_month'] + s['months'] - 1}"
        lines.append(_line(_("months {span}").format(span=f"{span:<5}"), f" {s['months']:>2} "
                           + _("months at FTE {fte}").format(fte=format_fte(s["fte"])), sets_width=False))
    for kept in r["fte_kept"]:
        lines.append(_line(_("fte kept"), _("FTE {fte} from month {month}: a formal change, the amount kept (team "
                                            "grant)").format(fte=format_fte(kept["fte"]), month=kept["from_month"])))
    lines.append(_line(_("arithmetic"), r["arithmetic"]))
    if r["rule_amount"] is not None:
        lines.append(_line(_("rule amount"), r["rule_arithmetic"]))
        lines.append(_line(_("discretion"), _(
            "decided {amount} NOK against the rule's {rule_amount}: deviation {deviation}; reason: {reason}").format(
            amount=kroner(r["amount"]), rule_amount=kroner(r["rule_amount"]),
            deviation=("+" if r["deviation"] >= 0 else "-") + kroner(abs(r["deviation"])), reason=r["reason"])))
    recomputed = (_("{amount} NOK; recomputed now matches") if r["recomputed_matches"]
                  else _("{amount} NOK; recomputed now DIFFERS"))
    lines.append(_line(_("as granted"), recomputed.format(amount=kroner(r["granted_amount"]))))
    return lines


Fact = tuple[str, str, bool]  # label, text, whether the label's length sets the labels' column width


def _line(label: str, text: str, sets_width: bool = True) -> Fact:
    return label, text, sets_width


def _aligned(facts: list[Fact]) -> list[str]:
    """`  rule        765.62/ladder-2017: ...`: the labels in a column as wide as the longest (at
    least 11); a months label (`months 1-6  `) carries its own padding."""
    width = max([11, *(len(label) for label, _text, sets_width in facts if sets_width)])
    return [f"  {label:<{width}} {text}" for label, text, _sets in facts]


@click.command("export", short_help="Write events with their hashes, for verifying elsewhere.")
@click.argument("ref", metavar="[REF]", required=False, shell_complete=complete_ref)
@click.option("--all", "everything", is_flag=True, help="Export the whole log (instead of one REF).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "xlsx"]), default="jsonl",
              help="jsonl (verifiable with grants verify --file) or xlsx (commands, events, manifest; needs --output).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="File to write (default, or -: standard output).")
@click.pass_context
def export_cmd(ctx, ref, everything, fmt, output):
    """Write events with their hashes and a manifest with the ledger digest, for checking away
    from the database with grants verify --file (docs/audit.md).

    \b
    Example:
      grants export --all --output ledger.jsonl && grants verify --file ledger.jsonl
    """
    from grants.cli.progress import progress
    from grants.cli.tables import to_stdout
    from grants.ledger.export import EXPORT_FORMAT, export_text

    if bool(ref) == everything:
        raise InvalidInput("--all: " + _("give a REF or --all"))
    if not to_stdout(output) and not output.parent.is_dir():  # before any work, and never a folder made
        raise InvalidInput("--output: " + _("no folder {folder} to write {name} into").format(
            folder=repr(str(output.parent)), name=repr(output.name)))
    ledger = ctx.obj.ledger()
    if fmt == "xlsx":  # cli/export_xlsx.py
        from grants.cli.export_xlsx import write_export

        return write_export(ledger, parse_ref(ref) if ref else None, output, f"{EXPORT_FORMAT}+xlsx")
    wanted = None
    if ref:
        parse_ref(ref)
        wanted = ledger.position(ref).id.hex
    with progress(ctx) as report_progress:
        text, manifest = export_text(ledger, wanted, "all" if everything else f"ref:{ref}", progress=report_progress)
    if not to_stdout(output):
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise InvalidInput("--output: " + _("cannot write {path}: {problem}").format(
                path=repr(str(output)), problem=error.strerror or error)) from None
        click.echo(_("exported {count} events to {path}; ledger digest {digest}").format(
            count=manifest["events"], path=output, digest=manifest["digest"]))
    else:
        click.echo(text, nl=False)


COMMANDS = {c.name: c for c in (show_cmd, history_cmd, explain_cmd, verify_cmd, export_cmd)}
