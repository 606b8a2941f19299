"""`grants check`: every integrity and rule check in one run, for cron and CI (after `hledger check`).

One line per finding (ref, kind, detail) on stdout and a summary on stderr; exit 0 when no
finding of the selected kinds exists, 7 when any integrity finding does (chain, read models),
else 6 (rule findings). The checks themselves live in grants.projections.checks and
grants.ledger.verify; this module only selects, runs and prints them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import click

from grants.cli.output import FORMATS, safe, to_csv, to_json
from grants.cli.parsing import parse_day
from grants.domain.i18n import _
from grants.projections.checks import INTEGRITY, KINDS, Finding

KIND = click.Choice(list(KINDS))
RULE_EXIT, INTEGRITY_EXIT = 6, 7


@click.command("check", short_help="Every integrity and rule check, for cron (exit 6/7).")
@click.option("--only", multiple=True, type=KIND, metavar="KIND", help="Run only this kind of check (repeatable).")
@click.option("--ignore", multiple=True, type=KIND, metavar="KIND", help="Leave this kind out (repeatable).")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Judge deadlines and lifetimes as of this date (default today).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def check_cmd(ctx: click.Context, only: tuple[str, ...], ignore: tuple[str, ...], on: str | None, fmt: str) -> None:
    """Verify the chain and the read models and run every rule check; exit 6 or 7 on findings.

    Kinds: chain and read-models (integrity, exit 7); every other kind is a rule check (exit 6):
    see --only.

    \b
    Example (cron, every night):
      grants check --ignore to-reclaim || mail -s "grants check" controller@example.org
    """
    kinds = [k for k in (only or KINDS) if k not in ignore]
    ledger = ctx.obj.ledger()
    today = parse_day(on, ledger.today())
    findings, digest = run(ledger, set(kinds), today)
    order = list(KINDS)
    findings.sort(key=lambda f: (order.index(f.kind), f.ref, f.detail))
    emit(findings, fmt)
    counts = Counter(f.kind for f in findings)
    if findings:
        click.echo(_("{count} finding(s): {kinds}").format(
            count=len(findings), kinds=", ".join(f"{n} {k}" for k, n in counts.items())), err=True)
        ctx.exit(INTEGRITY_EXIT if INTEGRITY & set(counts) else RULE_EXIT)
    checked = ", ".join(kinds) if only or ignore else _("every kind")
    if digest:
        click.echo(_("no findings ({kinds}; judged on {today}; ledger digest {digest})").format(
            kinds=checked, today=today, digest=digest), err=True)
    else:
        click.echo(_("no findings ({kinds}; judged on {today})").format(kinds=checked, today=today), err=True)


def run(ledger: Any, kinds: set[str], today: date) -> tuple[list[Finding], str | None]:
    """The findings of the selected kinds, and the ledger digest when the chain was verified."""
    from grants.ledger.config import checkpoints_path
    from grants.ledger.verify import verify_ledger

    findings: list[Finding] = []
    digest = None
    if "chain" in kinds:  # exactly grants verify: the chain, the last checkpoint (GRANTS_CHECKPOINTS), logins
        report = verify_ledger(ledger, checkpoints=checkpoints_path())
        if report.problem:
            findings.append(Finding("-", "chain", report.problem))
        else:
            digest = report.digest
    rules = kinds - INTEGRITY
    if rules or "read-models" in kinds:
        from grants.domain.errors import VerificationFailed
        from grants.projections.api import open_views
        from grants.projections.checks import read_model_findings, rule_findings
        from grants.projections.db import engine_for
        from grants.projections.runner import Runner

        try:
            shared = judged = open_views(ledger).engine  # caught up when this login may write
        except VerificationFailed:
            # The tables claim events the log does not have (edited, or the log was cut): that is
            # a read-models finding, and the rules are judged on a replay of the log instead.
            shared = judged = engine_for(ledger.url)
            if rules:
                replay = Runner(engine_for("sqlite://"), ledger)
                replay.catch_up()
                judged = replay.engine
        if "read-models" in kinds:
            findings += read_model_findings(ledger, shared)
        if rules:
            findings += rule_findings(judged, ledger, today, rules)
        for engine in {shared, judged}:
            engine.dispose()
    return findings, digest


def emit(findings: list[Finding], fmt: str) -> None:
    rows = [{"ref": f.ref, "kind": f.kind, "detail": f.detail} for f in findings]
    if fmt == "json":
        click.echo(to_json(rows))
    elif fmt == "csv":
        click.echo(to_csv(rows, ["ref", "kind", "detail"]))
    elif rows:
        width_ref = max(len(safe(r["ref"])) for r in rows)
        width_kind = max(len(r["kind"]) for r in rows)
        for r in rows:
            click.echo(f"{safe(r['ref']):<{width_ref}}  {r['kind']:<{width_kind}}  {safe(r['detail'])}")


COMMANDS = {"check": check_cmd}
