"""Auditor commands: replay a position (show, history), explain an amount, verify the hash
chain, export events with their hashes."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

import click

from grants.cli.axes import time_axes, time_cut
from grants.cli.output import FORMATS, YEAR, emit_rows, safe, table, to_json
from grants.domain.errors import InvalidInput, NotFound, VerificationFailed
from grants.domain.refs import parse_ref

EXPORT_FORMAT = "grants-export/1"


@click.command("show")
@click.argument("ref")
@click.option("--version", "version", type=click.IntRange(min=1), help="State after event number N.")
@time_axes
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def show_cmd(ctx, ref, version, known_at, in_force, fmt):
    """Show a position: its status, FTE and every funded year (as known then, or in force then)."""
    from grants.cli.views import position_view

    parse_ref(ref)
    ledger = ctx.obj.ledger()
    cut = time_cut(known_at, in_force)
    if version is not None and not cut.is_now:
        raise InvalidInput("version: give --version or a time cut (--known-at, --in-force), not both")
    position = ledger.position(ref, version=version) if cut.is_now else ledger.position_at(ref, cut)
    if version is not None and position.version != version:
        raise InvalidInput(f"version: {ref!r} has only {position.version} events, got {version}")
    view = position_view(position)
    if fmt == "json":
        click.echo(to_json(view))
        return
    if fmt == "csv":  # one row per funded year, with the position's identity on each row
        identity = {k: view[k] for k in ("ref", "kommunenummer", "office", "scheme", "status")}
        emit_rows([{**identity, **{k: y[k] for k in ("year", "ladder_year", "fte", "amount", "granted_amount", "rule")}}
                   for y in view["years"]], "csv")
        return
    head = ["ref", "version", "kommunenummer", "kommune", "office", "scheme", "title", "status", "fte",
            "ladder_year", "first_year"]
    for key in head:
        click.echo(f"{key:>14}: {safe(view[key] if view[key] is not None else '')}")
    if view["termination"]:
        t = view["termination"]
        click.echo(f"{'terminated':>14}: {t['cause']} from {t['effective']} ({safe(t['reason'])})")
    if view["rejection"]:
        click.echo(f"{'rejected':>14}: {safe(view['rejection'])}")
    click.echo("")
    click.echo(table(view["years"], ["year", "ladder_year", "fte", "amount", "granted_amount", "rule"]))
    if view["reports"]:
        click.echo("")
        click.echo(table(view["reports"], ["year", "spent", "to_reclaim", "fte_filled", "self_financing",
                                           "attested", "received", "correction"]))


@click.command("history")
@click.argument("ref")
@time_axes
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def history_cmd(ctx, ref, known_at, in_force, fmt):
    """Every event of a position in order, with who recorded it and the state after it; with
    --known-at or --in-force, only the events known or in force then."""
    from grants.cli.views import event_view
    from grants.ledger.time_axes import cut_events, replay

    parse_ref(ref)
    events = cut_events(ctx.obj.ledger().events_of(ref), time_cut(known_at, in_force))
    rows = [event_view(domain_event, state) for domain_event, state in replay(events)]
    if fmt == "json":
        click.echo(to_json(rows))
        return
    flat = [{"version": r["version"], "event": r["event"], "recorded": r["recorded"],
             "effective": r["effective"], "actor": r["actor"], "status": r["state"]["status"],
             "fte": r["state"]["fte"], "ladder_year": r["state"]["ladder_year"],
             "year": r["state"]["year"], "amount": r["state"]["amount"], "reason": r["reason"]}
            for r in rows]
    emit_rows(flat, fmt)


@click.command("verify")
@click.option("--digest", help="N:HASH written down earlier: the first N events must still hash to it.")
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path),
              help="Verify an export (grants export) instead of the database.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def verify_cmd(ctx, digest, file, fmt):
    """Recompute the hash chain; print the ledger digest or name the first altered event (exit 7)."""
    from grants.ledger.verify import ledger_rows, parse_digest, verify

    expected = parse_digest(digest) if digest else None
    if file is not None:
        rows, manifest = read_export(file)
        report = verify(rows, expected, check_log=manifest.get("scope") == "all")
        if not report.problem and report.count != manifest.get("events"):
            report.problem = f"export lists {manifest.get('events')} events but holds {report.count}"
        if not report.problem and manifest.get("scope") == "all" and manifest.get("digest") != report.digest:
            report.problem = f"export manifest digest {manifest.get('digest')} does not match {report.digest}"
    else:
        report = verify(ledger_rows(ctx.obj.ledger()), expected)
    if report.problem:
        raise VerificationFailed(report.problem)
    result = {"verified": report.count, "digest": report.digest, "digest_checked": report.digest_checked}
    if fmt == "json":
        click.echo(to_json(result))
        return
    if fmt == "csv":
        emit_rows([result], "csv")
        return
    if file is not None and manifest.get("scope") != "all":
        click.echo(f"verified {report.count} events of {manifest.get('scope')}: their position chain is intact "
                   "(the log chain needs an --all export)")
        return
    click.echo(f"verified {report.count} events; ledger digest {report.digest}")
    if report.digest_checked:
        click.echo(f"digest {digest} matches")


@click.command("explain")
@click.argument("ref")
@click.option("--year", required=True, type=YEAR, help="The funded year to explain.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def explain_cmd(ctx, ref, year, fmt):
    """How a year's amount was computed: rule, rate, FTE by month, arithmetic and rounding."""
    from grants.domain import rules

    parse_ref(ref)
    position = ctx.obj.ledger().position(ref)
    funded = position.years.get(year)
    if funded is None:
        raise NotFound(f"year: {ref!r} has no funded year {year}")
    computation = funded.computation()
    rule = rules.rule_by_id(funded.rule_id)
    stretches = [{"from_month": m, "months": n, "fte": f} for m, n, f in funded.stretches()]
    basis = (f"rate {funded.rate} per 100 % FTE" if funded.rate is not None
             else f"entered amount {funded.base} at FTE {funded.base_fte}")
    result = {
        "ref": ref, "year": year, "scheme": position.scheme, "ladder_year": funded.ladder_year,
        "rule": funded.rule_id, "rule_note": rule.note, "rate": funded.rate, "base": funded.base,
        "base_fte": funded.base_fte, "stretches": stretches, "granted_amount": funded.granted_amount,
        "amount": funded.amount, "arithmetic": computation.arithmetic(), "exact": computation.exact,
        "recomputed_matches": computation.amount == funded.amount,
    }
    if fmt == "json":
        click.echo(to_json(result))
        return
    if fmt == "csv":  # one row per stretch of months at one FTE
        fixed = {k: result[k] for k in ("ref", "year", "scheme", "ladder_year", "rule", "rate", "base", "base_fte", "amount")}
        emit_rows([{**fixed, **s} for s in stretches], "csv")
        return
    click.echo(f"{safe(ref)} {year}: {funded.amount} NOK ({position.scheme}, ladder year {funded.ladder_year})")
    click.echo(f"  rule        {funded.rule_id}: {rule.note}")
    click.echo(f"  basis       {basis}")
    for s in stretches:
        click.echo(f"  months {s['from_month']:>2}-{s['from_month'] + s['months'] - 1:<2}  {s['months']:>2} months at FTE {s['fte']}")
    click.echo(f"  arithmetic  {computation.arithmetic()}")
    click.echo(f"  as granted  {funded.granted_amount}; recomputed now {'matches' if result['recomputed_matches'] else 'DIFFERS'}")


@click.command("export")
@click.argument("ref", required=False)
@click.option("--all", "everything", is_flag=True, help="Export the whole log.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "xlsx"]), default="jsonl",
              help="jsonl (verifiable with grants verify --file) or xlsx (commands, events, manifest; needs --output).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@click.pass_context
def export_cmd(ctx, ref, everything, fmt, output):
    """Write events with their hashes and a manifest with the digest (docs/audit.md)."""
    from grants.ledger.verify import ledger_rows, verify

    if bool(ref) == everything:
        raise InvalidInput("ref: give a REF or --all")
    ledger = ctx.obj.ledger()
    if fmt == "xlsx":  # cli/export_xlsx.py
        from grants.cli.export_xlsx import write_export

        return write_export(ledger, parse_ref(ref) if ref else None, output, f"{EXPORT_FORMAT}+xlsx")
    wanted = None
    if ref:
        parse_ref(ref)
        wanted = ledger.position(ref).id.hex
    lines, count = [], 0
    report = verify(ledger_rows(ledger))
    if report.problem:
        raise VerificationFailed(f"refusing to export a ledger that fails verification: {report.problem}")
    for row in ledger_rows(ledger):
        oid, version, topic, state = row.event
        if wanted and oid.hex != wanted:
            continue
        count += 1
        lines.append(json.dumps({
            "notification_id": row.notification_id, "originator_id": oid.hex, "originator_version": version,
            "topic": topic, "state": base64.b64encode(bytes(state)).decode(), "event_hash": row.chain[2],
            "position_hash": row.chain[3], "log_hash": row.chain[4]}, ensure_ascii=False))
    manifest = {"manifest": {"format": EXPORT_FORMAT, "scope": "all" if everything else f"ref:{ref}",
                             "events": count, "digest": report.digest,
                             "exported_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}}
    text = "\n".join([*lines, json.dumps(manifest)]) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {count} events to {output}; ledger digest {report.digest}")
    else:
        click.echo(text, nl=False)


def read_export(path: Path):
    """Rows and manifest of an export file; damaged lines become damaged rows, never a crash."""
    from grants.ledger.verify import Row

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"file: cannot read {str(path)!r}: {error}") from None
    rows, manifest = [], {}
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if "manifest" in record:
                manifest = record["manifest"]
                continue
            rows.append(Row(int(record["notification_id"]),
                            (record["originator_id"], int(record["originator_version"]), record["topic"],
                             base64.b64decode(record["state"], validate=True)),
                            (record["originator_id"], int(record["originator_version"]), record["event_hash"],
                             record["position_hash"], record["log_hash"])))
        except (ValueError, KeyError, TypeError) as error:
            raise VerificationFailed(f"export line {number} is damaged ({type(error).__name__})") from None
    if manifest.get("format") != EXPORT_FORMAT:
        raise VerificationFailed(f"export has no {EXPORT_FORMAT} manifest")
    return rows, manifest


COMMANDS = {c.name: c for c in (show_cmd, history_cmd, explain_cmd, verify_cmd, export_cmd)}
