"""Writes tests/reliability/data/events_v2.jsonl: one stored sample of every event type as this
version writes it, with the decoded fields. Run once per schema version (the files of earlier
versions stay as they were written: they must keep decoding):
    python -m tests.reliability.event_samples

v1: the first release. v2 (issue 10): CarriedOver, KommuneChanged and the appropriation events;
new fields with defaults on Applied (permanence_plan, other_costs), Granted/YearAdvanced
(rule_amount, wage_cost), FteReduced (rescaled) and Reported (entitlement)."""

import json
import tempfile
from pathlib import Path

from grants.cli.output import plain
from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger

SAMPLES = Path(__file__).parent / "data" / "events_v1.jsonl"
SAMPLES_V2 = Path(__file__).parent / "data" / "events_v2.jsonl"
CURRENT = SAMPLES_V2


def record_every_event_type(url: str) -> GrantsLedger:
    current_actor.set("sample-writer")
    ledger = GrantsLedger.create(url)
    ledger.initialize()
    ledger.add_user("kari", "caseworker", "innlandet")
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=5_000_000))
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=6_000_000, reason="revised"))
    run = lambda model, **v: ledger.execute(c.parse(model, **v))  # noqa: E731
    run(c.Apply, ref="S/1", kommune="3401", scheme="765.62", title="Ruskonsulent", fte="1", year="2021",
        received="2021-02-01", wage_cost="700000", focus="Oppsøkende", partners=("NAV",))
    run(c.Grant, ref="S/1", year=2021, decided="2021-03-01", reason="criteria met")
    run(c.ReduceFte, ref="S/1", fte="0.5", effective="2021-07-01", reason="vacancy")
    run(c.Advance, ref="S/1", year=2022, decided="2022-03-01")
    run(c.Report, ref="S/1", year=2021, spent="400000", fte_filled="0.5", self_financing="100000",
        attested="self", received="2022-02-01")
    run(c.Terminate, ref="S/1", cause="withdrawn", reason="moved", effective="2022-12-31")
    run(c.Apply, ref="S/2", kommune="3401", scheme="765.62", title="t", fte="1", year="2021", received="2021-02-01")
    run(c.Reject, ref="S/2", reason="no plan", decided="2021-03-01")
    # version 2: discretion, wage cost per year, a kommune reform, entitlement, carry-over, team grants
    run(c.Apply, ref="S/3", kommune="3001", scheme="765.62", title="Ruskonsulent", fte="1", year="2021",
        received="2021-02-01", wage_cost="700000", permanence_plan="Inn i økonomiplanen 2022-2025")
    run(c.Grant, ref="S/3", year=2021, decided="2021-03-01", amount="700000", reason="betydelige negative konsekvenser")
    run(c.Advance, ref="S/3", year=2022, decided="2022-03-01", wage_cost="720000")
    run(c.Advance, ref="S/3", year=2023, decided="2023-03-01")
    run(c.Advance, ref="S/3", year=2024, decided="2024-03-01")
    run(c.Report, ref="S/3", year=2024, spent="200000", fte_filled="0.8", received="2025-02-01")
    run(c.CarryOver, ref="S/3", from_year=2024, amount="50000", reason="approved transfer", decided="2025-02-20")
    run(c.Apply, ref="S/4", kommune="3401", scheme="765.60-adults", title="FACT", fte="3.5", year="2023",
        received="2023-03-01", other_costs="300000")
    run(c.Grant, ref="S/4", year=2023, decided="2023-04-01", amount="1400000")
    run(c.ReduceFte, ref="S/4", fte="3", effective="2023-07-01")
    ledger.set_appropriation(c.SetAppropriation(scheme="765.62", year=2021, amount=455_000_000))
    ledger.set_appropriation(c.SetAppropriation(scheme="765.62", year=2021, amount=449_360_000, reason="revised"))
    user = next(u for u in ledger.users() if u.name == "kari")
    user.change_role(role="auditor", office=None)
    ledger._store(user)
    return ledger


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = record_every_event_type(f"sqlite:///{tmp}/s.sqlite")
        lines = []
        for notification in ledger.recorder.select_notifications(start=1, limit=1000):
            event = ledger.mapper.to_domain_event(notification)
            fields = {k: v for k, v in event.__dict__.items() if k != "originator_id"}
            lines.append(json.dumps({"topic": notification.topic, "state": notification.state.decode(),
                                     "expected": plain(fields)}, ensure_ascii=False, sort_keys=True))
    CURRENT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} samples to {CURRENT}")


if __name__ == "__main__":
    main()
