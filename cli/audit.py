"""Auditor commands: verify the hash chain, explain an amount, export events with their hashes."""

from pathlib import Path

import click

from grants.cli.main import FORMATS, cli
from grants.cli.output import emit_rows, safe, to_json
from grants.domain.refs import parse_ref
from grants.domain.errors import InvalidInput, NotFound, VerificationFailed


@cli.command("verify")
@click.option("--digest", help="N:HASH written down earlier: the first N events must still hash to it.")
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path),
              help="Verify an export (grants export) instead of the database.")
@click.option("--checkpoints", type=click.Path(dir_okay=False, path_type=Path),
              help="Checkpoint file (env GRANTS_CHECKPOINTS): compared with its last line, appended to on success.")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_context
def verify_cmd(ctx, digest, file, checkpoints, fmt):
    """Recompute the hash chain; print the ledger digest or name the first altered event (exit 7)."""
    from grants.ledger.config import checkpoints_path
    from grants.ledger.verify import parse_digest, verify_ledger

    expected = parse_digest(digest) if digest else None
    manifest = {}
    if file is not None:
        from grants.ledger.export import verify_export

        report, manifest = verify_export(file, expected)
    else:
        report = verify_ledger(ctx.obj.ledger(), expected, checkpoints or checkpoints_path())
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
        emit_rows([result], "csv", ["verified", "digest", "digest_checked"])
        return
    if file is not None and manifest.get("scope") != "all":
        click.echo(f"verified {report.count} events of {safe(manifest.get('scope'))}: their position chain is intact "
                   "(the log chain needs an --all export)")
        return
    click.echo(f"verified {report.count} events; ledger digest {report.digest}")
    if digest:
        click.echo(f"digest {digest} matches")
    if report.checkpoint:
        click.echo(f"checkpoint of {report.checkpoint.at} ({report.checkpoint.count} events) matches")
    if report.appended:
        click.echo("checkpoint appended")
    if report.keyed_since:
        sealed = "every MAC matches the key" if report.macs_checked else "MACs not checked (no chain key given)"
        click.echo(f"keyed since event {report.keyed_since}: {sealed}")


@cli.command("explain")
@click.argument("ref")
@click.option("--year", required=True, type=click.IntRange(2000, 2100))
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
    starts = [m for m, _ in funded.segments] + [13]
    stretches = [{"from_month": m, "months": starts[i + 1] - m, "fte": f} for i, (m, f) in enumerate(funded.segments)]
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


@cli.command("export")
@click.argument("ref", required=False)
@click.option("--all", "everything", is_flag=True, help="Export the whole log.")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@click.pass_context
def export_cmd(ctx, ref, everything, fmt, output):
    """Write events with their hashes and a manifest with the digest (docs/audit.md)."""
    from grants.ledger.export import export_text

    if bool(ref) == everything:
        raise InvalidInput("ref: give a REF or --all")
    ledger = ctx.obj.ledger()
    wanted = None
    if ref:
        parse_ref(ref)
        wanted = ledger.position(ref).id.hex
    text, manifest = export_text(ledger, wanted, "all" if everything else f"ref:{ref}")
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {manifest['events']} events to {output}; ledger digest {manifest['digest']}")
    else:
        click.echo(text, nl=False)
