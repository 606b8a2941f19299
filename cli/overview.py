"""`grants overview`: one self-contained HTML page for an office or the nation — funding per year
and scheme, the 2021-2024 wind-down curve, frames against granted, compliance findings, each an
inline SVG chart beside its table, and the ledger digest the page was made from. Nothing is
loaded from the network: inline CSS and SVG, no scripts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Any

import click

from grants.cli.axes import time_axes, time_cut
from grants.cli.completion import complete_office
from grants.cli.output import YEAR, kroner, plain
from grants.cli.parsing import clean_filters, parse_day
from grants.domain import i18n
from grants.domain.i18n import N_, _

COLOURS = ["#1f5f99", "#e08a1e", "#3a9a5b", "#8e44ad", "#c0392b", "#7f8c8d"]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 560, 260, 80, 36, 16
MAX_LISTED = 200  # findings listed on the page; the rest are counted
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1c2833;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem} h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d5d8dc}
.meta{color:#566573;font-size:.9rem} .pair{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
table{border-collapse:collapse;font-size:.85rem}
th,td{padding:.2rem .6rem;border-bottom:1px solid #eaecee;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} .warn{color:#c0392b;font-weight:600}
svg{background:#fbfcfc;border:1px solid #eaecee} svg text{font-size:11px;fill:#34495e}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem} .legend i{display:inline-block;width:.8rem;
height:.8rem;margin-right:.3rem;vertical-align:middle} code{font-size:.8rem;word-break:break-all}
"""


@click.command("overview", short_help="One HTML page of charts: funding, frames, compliance.")
@click.option("--year", type=YEAR, help="Only this year for funding, frames and compliance (default: every year).")
@click.option("--office", metavar="OFFICE", shell_complete=complete_office,
              help="Only this office (id or name; default: the nation).")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Judge deadlines as of this date (default today).")
@time_axes
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.html",
              help="The page to write.")
@click.pass_context
def overview_cmd(ctx, year, office, on, known_at, in_force, output):
    """Write one self-contained HTML page with charts: funding, wind-down, frames, compliance.

    \b
    Example:
      grants overview --office innlandet --output innlandet.html
    """
    from grants.cli.tables import guarded, to_stdout
    from grants.ledger.verify import ledger_rows, verify
    from grants.projections import reports
    from grants.projections.api import open_views

    filters = clean_filters(office, None, None)
    ledger = ctx.obj.ledger()
    cut = time_cut(known_at, in_force)
    views = open_views(ledger, cut)
    today = parse_day(on, cut.judged_on(ledger.today()))
    office_only = {"office": filters["office"]}
    data = {
        "funding": reports.funding(views.engine, by="scheme", year=year, **office_only),
        "winddown": reports.winddown(views.engine, today, **office_only)[0],
        "frames": reports.frames(views.engine, year=year, **office_only),
        "compliance": reports.compliance(views.engine, today, year=year, **office_only),
    }
    views.engine.dispose()
    check = verify(ledger_rows(ledger))
    page = render(data, title=_title(filters["office"], year), check=check, cut=cut, today=today,
                  behind=views.behind)
    if to_stdout(output):
        click.echo(page, nl=False)
        return
    guarded(output, lambda: output.write_text(page, encoding="utf-8"))
    click.echo(_("wrote {path} ({title}; ledger digest {digest})").format(path=output, title=_title(filters["office"],
                                                                                                 year),
                                                                         digest=check.digest))


def _title(office: str | None, year: int | None) -> str:
    from grants.domain.kommuner import OFFICE_NAMES

    who = OFFICE_NAMES.get(office, office) if office else _("All Statsforvalter offices")
    return f"{who}, {year}" if year else who


# --- the page ----------------------------------------------------------------------------------

def render(data: dict[str, list[dict]], *, title: str, check: Any, cut: Any, today: date, behind: int) -> str:
    made = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    axes = "; ".join(f"{k.replace('_', '-')} {plain(v)}" for k, v in cut.describe().items() if v is not None)
    if check.problem:
        digest = '<p class="warn">' + escape(_("The ledger does not verify: {problem}").format(
            problem=check.problem)) + "</p>"
    else:
        digest = "<p>" + _("Made from the ledger with digest {digest} ({count} events; check with {command}).").format(
            digest=f"<code>{escape(check.digest)}</code>", count=check.count,
            command=f"<code>grants verify --digest {escape(check.digest)}</code>") + "</p>"
    lag = ('<p class="warn">' + escape(_("The read models were {behind} events behind the log.").format(
        behind=behind)) + "</p>" if behind else "")
    sections = [
        (_("Funding per year and scheme"), *_funding(data["funding"])),
        (_("Transitional scheme 2021–2024: the wind-down"), *_winddown(data["winddown"])),
        (_("Budget frames against granted"), *_frames(data["frames"])),
        (_("Compliance findings"), *_compliance(data["compliance"], today)),
    ]
    body = "".join(f'<section><h2>{escape(h)}</h2><div class="pair">{chart}{table}</div>{extra}</section>'
                   for h, chart, table, extra in sections)
    meta = _("Kap. 765 Kommunalt rusarbeid and sibling schemes · made {made}{axes} · deadlines judged on {today} · "
             "amounts in NOK").format(made=made, axes=" · " + axes if axes else "", today=today)
    return (f'<!DOCTYPE html><html lang="{i18n.language()}"><head><meta charset="utf-8"><title>{escape(title)} — '
            f'{escape(_("grants overview"))}</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>'
            f'<p class="meta">{escape(meta)}</p>{digest}{lag}{body}</body></html>\n')


def _table(rows: list[dict], columns: list[tuple[str, str]], money: set[str] = frozenset()) -> str:
    if not rows:
        return "<p>" + escape(_("No rows.")) + "</p>"
    head = "".join(f'<th class="{"n" if k in money else ""}">{escape(_(label))}</th>' for k, label in columns)
    lines = []
    for row in rows:
        cells = []
        for key, _label in columns:
            value = row.get(key)
            text = kroner(value) if key in money else ("" if value is None else str(plain(value)))
            cells.append(f'<td class="{"n" if key in money or isinstance(value, int) else ""}">{escape(text)}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _svg(label: str, inner: str, height: int = HEIGHT) -> str:
    return (f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">{inner}</svg>')


def _axis(top_value: int, height: int = HEIGHT) -> tuple[str, Any]:
    """A y axis from 0 to a round number at or above `top_value`, and the scale function."""
    top_value = _nice(top_value)
    plot = height - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot - plot * value / top_value

    ticks = "".join(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eaecee"/>'
                    f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_short(v)}</text>'
                    for v in (top_value * i // 4 for i in range(5)))
    base = f'<path d="M{LEFT},{y(0):.1f}H{WIDTH - 8}" stroke="#566573"/>'
    return ticks + base, y


def _nice(value: int) -> int:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten at or above `value`."""
    step = 1
    while step * 10 <= max(value, 1):
        step *= 10
    for tenths in (10, 15, 20, 25, 30, 40, 50, 60, 80, 100):
        if step * tenths // 10 >= value:
            return max(step * tenths // 10, 1)
    return step * 10


def _short(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} M".replace(".0 M", " M")
    if value >= 1_000:
        return f"{value // 1_000} k"
    return str(value)


def _no_data(label: str) -> str:
    axis, _scale = _axis(1)
    return _svg(label, axis + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
                f'{escape(_("no data"))}</text>')


def _legend(names: list[str]) -> str:
    keys = "".join(f'<span><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{escape(n)}</span>'
                   for i, n in enumerate(names))
    return f'<p class="legend">{keys}</p>'


def _funding(rows: list[dict]) -> tuple[str, str, str]:
    """Stacked bars: one bar per year, one segment per scheme."""
    table = _table(rows, [("year", N_("year")), ("scheme", N_("scheme")), ("positions", N_("positions")),
                          ("amount", N_("granted"))], {"amount"})
    if not rows:
        return _no_data(_("funding per year")), table, ""
    years = sorted({r["year"] for r in rows})
    schemes = sorted({r["scheme"] for r in rows})
    totals = {y: sum(r["amount"] for r in rows if r["year"] == y) for y in years}
    axis, y = _axis(max(totals.values()))
    slot = (WIDTH - LEFT - 8) / len(years)
    bar = min(48, slot * 0.7)
    marks = []
    for i, year in enumerate(years):
        x, level = LEFT + slot * i + (slot - bar) / 2, 0
        for s, scheme in enumerate(schemes):
            amount = sum(r["amount"] for r in rows if r["year"] == year and r["scheme"] == scheme)
            if amount:
                marks.append(f'<rect class="mark" x="{x:.1f}" y="{y(level + amount):.1f}" width="{bar:.1f}" '
                             f'height="{y(level) - y(level + amount):.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                             f"<title>{year} {escape(scheme)}: "
                             f"{escape(_('{amount} NOK').format(amount=kroner(amount)))}</title></rect>")
                level += amount
        marks.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{year}</text>')
    return _svg(_("funding per year and scheme"), axis + "".join(marks)), table, _legend(schemes)


def _winddown(rows: list[dict]) -> tuple[str, str, str]:
    """The curve of the transitional scheme's amount per year, points marked with the positions."""
    table = _table(rows, [("year", N_("year")), ("positions", N_("positions")), ("fte", N_("FTE")),
                          ("amount", N_("granted"))], {"amount"})
    if not rows:
        return _no_data(_("wind-down")), table, ""
    axis, y = _axis(max(max(r["amount"] for r in rows), 1))
    step = (WIDTH - LEFT - 40) / max(len(rows) - 1, 1)
    points = [(LEFT + 16 + step * i, y(r["amount"])) for i, r in enumerate(rows)]
    path = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points)
    marks = [f'<path class="mark" d="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2.5"/>']
    for (px, py), r in zip(points, rows, strict=True):
        marks.append(f'<circle class="mark" cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{COLOURS[1]}">'
                     f"<title>{r['year']}: " + escape(_("{amount} NOK, {positions} positions").format(
                         amount=kroner(r["amount"]), positions=r["positions"])) + "</title></circle>"
                     f'<text x="{px:.1f}" y="{py - 10:.1f}" text-anchor="middle">{r["positions"]}</text>'
                     f'<text x="{px:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{r["year"]}</text>')
    return _svg(_("transitional scheme per year"), axis + "".join(marks)), table, \
        '<p class="meta">' + escape(_("Numbers over the points: positions funded that year.")) + "</p>"


def _frames(rows: list[dict]) -> tuple[str, str, str]:
    """Pairs of bars per frame: the frame (grey) and the sum granted (blue, red when over)."""
    numbered = [{"n": i, **r} for i, r in enumerate(rows, start=1)]
    table = _table(numbered, [("n", "#"), ("year", N_("year")), ("office", N_("office")), ("scheme", N_("scheme")),
                              ("frame", N_("frame")), ("granted", N_("granted")), ("left", N_("left"))],
                   {"frame", "granted", "left"})
    if not rows:
        return _no_data(_("frames")), table, ""
    axis, y = _axis(max(max(r["frame"], r["granted"]) for r in rows))
    slot = (WIDTH - LEFT - 8) / len(rows)
    bar = max(min(22, slot * 0.38), 1.5)
    marks = []
    for r in numbered:
        x = LEFT + slot * (r["n"] - 1) + slot / 2 - bar
        for k, (key, colour) in enumerate((("frame", "#95a5a6"),
                                           ("granted", COLOURS[4] if r["granted"] > r["frame"] else COLOURS[0]))):
            value = r[key]
            marks.append(f'<rect class="mark" x="{x + k * bar:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                         f'height="{max(y(0) - y(value), 0.5):.1f}" fill="{colour}"><title>#{r["n"]} '
                         + escape(_("{what}: {amount} NOK").format(what=_(key), amount=kroner(value)))
                         + "</title></rect>")
        if len(rows) <= 24:
            marks.append(f'<text x="{x + bar:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{r["n"]}</text>')
    legend = (f'<p class="legend"><span><i style="background:#95a5a6"></i>{escape(_("frame"))}</span>'
              f'<span><i style="background:{COLOURS[0]}"></i>{escape(_("granted"))}</span>'
              f'<span><i style="background:{COLOURS[4]}"></i>{escape(_("granted over the frame"))}</span></p>')
    return _svg(_("frames against granted"), axis + "".join(marks)), table, legend


def _compliance(rows: list[dict], today: date) -> tuple[str, str, str]:
    """Horizontal bars: findings per kind; the findings themselves listed below."""
    counts = Counter(r["issue"] for r in rows)
    table = _table([{"issue": k, "findings": n} for k, n in counts.most_common()],
                   [("issue", N_("finding")), ("findings", N_("count"))])
    listed = _table(rows[:MAX_LISTED], [("ref", N_("ref")), ("year", N_("year")), ("office", N_("office")),
                                        ("issue", N_("finding")), ("detail", N_("detail"))])
    more = ("<p>" + _("{count} more: {command}.").format(count=len(rows) - MAX_LISTED,
                                                          command="<code>grants compliance</code>") + "</p>"
            if len(rows) > MAX_LISTED else "")
    extra = ("<details><summary>" + escape(_("Every finding ({count})").format(count=len(rows)))
             + f"</summary>{listed}{more}</details>")
    if not rows:
        return _no_data(_("compliance findings")), table, ""
    height = TOP + BOTTOM + 30 * len(counts)
    top = _nice(max(counts.values()))
    scale = (WIDTH - 200) / top
    marks = []
    for i, (issue, n) in enumerate(counts.most_common()):
        y = TOP + 30 * i
        marks.append(f'<text x="150" y="{y + 15}" text-anchor="end">{escape(issue)}</text>'
                     f'<rect class="mark" x="160" y="{y + 3}" width="{n * scale:.1f}" height="18" '
                     f'fill="{COLOURS[4]}"><title>{escape(issue)}: {n}</title></rect>'
                     f'<text x="{166 + n * scale:.1f}" y="{y + 15}">{n}</text>')
    return _svg(_("compliance findings on {today}").format(today=today), "".join(marks), height), table, extra


COMMANDS = {"overview": overview_cmd}
