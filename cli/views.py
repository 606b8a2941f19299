"""Plain-dict views of a position for show and history (the JSON shapes are documented)."""

from grants.cli.output import kroner, safe
from grants.domain.i18n import _
from grants.domain.kommuner import OFFICE_NAMES, find

YEAR_COLUMNS = ["year", "ladder_year", "fte", "amount", "granted_amount", "rule"]
REPORT_COLUMNS = ["year", "spent", "to_reclaim", "fte_filled", "self_financing", "attested", "received", "correction"]
# `show --format csv`: one table, one row per funded year with its latest report and the
# position's end (docs/audit.md); an application never funded is one row with the year empty.
SHOW_CSV_COLUMNS = ["ref", "kommunenummer", "office", "scheme", "status", *YEAR_COLUMNS, "reports", "spent",
                    "to_reclaim", "fte_filled", "self_financing", "attested", "report_received", "end_cause",
                    "end_effective", "end_reason", "rejection", "carried_in", "carried_out"]
CARRY_COLUMNS = ["carried_in", "carried_out"]  # shown in tables only when a carry-over was decided


def summary(p, year: int | None) -> str:
    """One line after a decision: the position and the year the decision touched."""
    if year is None:
        year = p.termination["effective"].year if p.termination else p.last_year
    text = _("{ref}: {status}, version {version}").format(ref=safe(p.ref), status=_(p.status), version=p.version)
    funded = p.years.get(year) if year is not None else None
    if funded is not None:
        text += _("; {year}: {amount} NOK, ladder year {ladder_year}, rule {rule}").format(
            year=year, amount=kroner(funded.amount), ladder_year=funded.ladder_year, rule=funded.rule_id)
    elif year is not None and p.carried_in.get(year):
        text += _("; {year}: {amount} NOK carried in").format(year=year, amount=kroner(p.carried_in[year]))
    money = p.money(year) if year is not None else None
    if money is not None:
        text += _("; spent {spent}, to reclaim {to_reclaim}").format(spent=kroner(money.spent),
                                                                     to_reclaim=kroner(money.to_reclaim))
    if p.termination:
        text += _("; ends {day} ({cause})").format(day=p.termination["effective"], cause=p.termination["cause"])
    return text


def position_view(p) -> dict:
    kommune = find(p.kommunenummer)
    years = []
    for year in sorted(set(p.years) | set(p.carried_in)):  # a year may hold only money carried into it
        funded = p.years.get(year)
        if funded is None:
            years.append({"year": year, "ladder_year": None, "fte": None, "amount": 0, "granted_amount": 0,
                          "rule": None, "rate": None, "over_frame": False, "fte_from_month": []})
            continue
        years.append({
            "year": year, "ladder_year": funded.ladder_year, "fte": funded.fte_at_end,
            "amount": funded.amount, "granted_amount": funded.granted_amount, "rule": funded.rule_id,
            "rate": funded.rate, "over_frame": funded.over_frame,
            "fte_from_month": [{"month": m, "fte": f} for m, f in funded.segments],
        })
    carried = [{"from_year": year, "to_year": year + 1, "amount": amount}
               for year, amount in sorted(p.carried_out.items())]
    reports = []
    for year in sorted(p.reports):
        for r in p.reports[year]:
            latest = r is p.reports[year][-1]
            money = p.money(year) if latest else None  # the latest counts carry-overs decided since
            reports.append({"year": r.year, "spent": r.spent,
                            "to_reclaim": money.to_reclaim if money else r.to_reclaim,
                            "fte_filled": r.fte_filled, "self_financing": r.self_financing, "attested": r.attested,
                            "received": r.received, "correction": r.correction})
    return {
        "ref": p.ref, "version": p.version, "kommunenummer": p.kommunenummer,
        "kommune": kommune.name if kommune else None, "office": p.office,
        "office_name": OFFICE_NAMES.get(p.office), "scheme": p.scheme, "title": p.title,
        "status": p.status, "fte": p.fte, "ladder_year": p.ladder_year, "first_year": p.first_year,
        "received": p.received, "wage_cost": p.wage_cost, "focus": p.focus, "partners": p.partners,
        "years": years, "reports": reports, "carried_over": carried, "rejection": p.rejection,
        "termination": p.termination,
        "recorded": p.modified_on,
    }


def position_rows(view: dict) -> list[dict]:
    """The rows of `show --format csv` (SHOW_CSV_COLUMNS) from a position_view."""
    end = view["termination"] or {}
    fixed = {"ref": view["ref"], "kommunenummer": view["kommunenummer"], "office": view["office"],
             "scheme": view["scheme"], "status": view["status"], "end_cause": end.get("cause"),
             "end_effective": end.get("effective"), "end_reason": end.get("reason"), "rejection": view["rejection"]}
    rows = []
    for funded in view["years"] or [{}]:
        reports = [r for r in view["reports"] if r["year"] == funded.get("year")]
        latest = reports[-1] if reports else {}
        year = funded.get("year")
        carried = {"carried_in": sum(c["amount"] for c in view["carried_over"] if c["to_year"] == year),
                   "carried_out": sum(c["amount"] for c in view["carried_over"] if c["from_year"] == year)}
        if year is None:  # an application never funded
            carried = {"carried_in": None, "carried_out": None}
        rows.append({**fixed, **{k: funded.get(k) for k in YEAR_COLUMNS}, **carried, "reports": len(reports),
                     **{k: latest.get(k) for k in ("spent", "to_reclaim", "fte_filled", "self_financing", "attested")},
                     "report_received": latest.get("received")})
    return rows


def state_summary(p) -> dict:
    """The short state shown after each event in `history`."""
    last = p.years.get(p.last_year) if p.years else None
    return {"status": p.status, "fte": p.fte, "ladder_year": p.ladder_year,
            "year": p.last_year, "amount": last.amount if last else None}


def event_view(domain_event, state) -> dict:
    payload = {k: v for k, v in domain_event.__dict__.items()
               if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")}
    return {
        "version": domain_event.originator_version, "event": type(domain_event).__name__,
        "recorded": domain_event.timestamp, "effective": payload.get("effective"),
        "actor": payload.get("actor"), "reason": payload.get("reason"), "payload": payload,
        "state": state_summary(state),
    }
