"""Concurrent writers, kill -9 at random moments, atomic batches, idempotent retries.
Sizes are in docs/reliability.md; `python -m pytest -m soak` runs the same checks longer."""

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grants.domain import commands as c
from grants.domain.errors import ConcurrentChange, RuleRefused
from grants.ledger.application import GrantsLedger
from grants.ledger.verify import ledger_rows, verify

ROOT = Path(__file__).resolve().parents[2]
REF = "C/1"


def granted_position(url):
    ledger = GrantsLedger(url)
    ledger.execute(c.parse(c.Apply, ref=REF, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    ledger.execute(c.parse(c.Grant, ref=REF, year=2021))
    return ledger


def versions(ledger, ref=REF):
    return [e.originator_version for e in ledger.events_of(ref)]


def test_16_threads_racing_on_one_position_give_one_winner_per_version(db_url, rounds=8):
    ledger = granted_position(db_url)
    threads = 16
    apps = [GrantsLedger(db_url) for _ in range(threads)]
    wins = losses = 0
    for _ in range(rounds):
        barrier, outcomes = threading.Barrier(threads, timeout=60), []

        def race(app, n):
            position = app.position(REF)
            position.report(year=2021, spent=n, correction=bool(position.reports),
                            received=__import__("datetime").date(2022, 2, 1))
            barrier.wait()
            try:
                app._store(position)
                outcomes.append("won")
            except ConcurrentChange:
                outcomes.append("lost")

        workers = [threading.Thread(target=race, args=(app, n)) for n, app in enumerate(apps)]
        [w.start() for w in workers]
        [w.join() for w in workers]
        assert outcomes.count("won") == 1 and outcomes.count("lost") == threads - 1, outcomes
        wins, losses = wins + 1, losses + threads - 1
    assert versions(ledger) == list(range(1, 3 + rounds))
    assert verify(ledger_rows(ledger)).problem is None
    [app.close() for app in apps]
    ledger.close()


def test_8_processes_racing_through_the_cli_win_or_exit_3(db_url, rounds=3):
    ledger = granted_position(db_url)
    ledger.execute(c.parse(c.Report, ref=REF, year=2021, spent="1"))
    env = {**os.environ, "GRANTS_DB": db_url, "GRANTS_ACTOR": "racer"}
    processes = 8
    total_wins = 0
    for _ in range(rounds):
        start = time.time() + 1.0  # every process waits for the same moment, then writes
        script = ("import time,sys; time.sleep(max(0, %f - time.time())); "
                  "from grants.cli.main import main; sys.argv=['grants','report','%s','--year','2021','--spent','5',"
                  "'--correction']; main()") % (start, REF)
        procs = [subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(processes)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = [code for code, _ in results]
        assert set(codes) <= {0, 3}, results
        for code, err in results:
            if code == 3:
                assert err.startswith("Error: position changed by someone else") and "Traceback" not in err
        total_wins += codes.count(0)
        assert codes.count(0) >= 1
    assert versions(ledger) == list(range(1, 4 + total_wins))
    assert verify(ledger_rows(ledger)).problem is None
    ledger.close()


def test_a_batch_with_one_conflicting_position_writes_none_of_them(db_url):
    ledger = granted_position(db_url)
    stale = GrantsLedger(db_url).position(REF)
    ledger.execute(c.parse(c.Report, ref=REF, year=2021, spent="1"))  # moves the position on
    from grants.domain.kommuner import lookup
    from grants.domain.position import GrantPosition

    fresh = [GrantPosition.apply_for(ref=f"N/{i}", kommune=lookup("3401", 2021), scheme="765.62", title="t",
                                     fte=__import__("decimal").Decimal(1), year=2021,
                                     received=__import__("datetime").date(2021, 2, 1)) for i in range(50)]
    stale.report(year=2021, spent=2, received=__import__("datetime").date(2022, 2, 1))
    head = ledger.head()
    with pytest.raises(ConcurrentChange):
        ledger._store(*fresh, stale)
    assert ledger.head() == head
    assert verify(ledger_rows(ledger)).problem is None
    ledger.close()


def test_kill_9_of_a_writer_at_random_moments_leaves_an_intact_ledger(db_url, kills=30):
    rng = random.Random(9)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    next_batch, killed_mid_write = 0, 0
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.writer", db_url, str(next_batch)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(rng.uniform(0.25, 0.7))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        printed = [int(line) for line in proc.stdout.read().split()]
        next_batch = (printed[-1] + 2) if printed else next_batch + 1  # skip a batch that may be half-sent
        killed_mid_write += 1
    ledger = GrantsLedger(db_url)
    report = verify(ledger_rows(ledger))
    assert report.problem is None, report.problem
    counts: dict[str, int] = {}
    for _, event in ledger.read_log(0, 10**7, ledger.head()):
        batch = re.match(r"K(\d+)/", getattr(event, "ref", "") or "")
        if batch:
            counts[batch.group(1)] = counts.get(batch.group(1), 0) + 1
    assert counts and all(n == 10 for n in counts.values()), counts  # every batch whole or absent
    for ref_batch in counts:
        for i in range(10):
            assert versions(ledger, f"K{ref_batch}/{i}") == [1, 2]
    ledger.close()


def test_the_same_apply_five_times_gives_one_position_and_other_data_is_refused(db_url):
    ledger = GrantsLedger(db_url)
    cmd = c.parse(c.Apply, ref="I/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021")
    created = [ledger.execute(cmd)[1] for _ in range(5)]
    assert created == [True, False, False, False, False]
    assert versions(ledger, "I/1") == [1]
    with pytest.raises(RuleRefused, match="different application"):
        ledger.execute(c.parse(c.Apply, ref="I/1", kommune="3401", scheme="765.62", title="t", fte="0.5", year="2021"))
    assert ledger.head() == 1
    ledger.close()


@pytest.mark.soak
def test_soak_threads(db_url):
    test_16_threads_racing_on_one_position_give_one_winner_per_version(db_url, rounds=50)


@pytest.mark.soak
def test_soak_processes(db_url):
    test_8_processes_racing_through_the_cli_win_or_exit_3(db_url, rounds=20)


@pytest.mark.soak
def test_soak_kills(db_url):
    test_kill_9_of_a_writer_at_random_moments_leaves_an_intact_ledger(db_url, kills=150)
