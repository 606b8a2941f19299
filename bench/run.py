"""One command for every benchmark: python -m bench.run [--quick] [--postgres URL]

Builds its own data, runs each case several times, prints a table of medians with the machine and
versions, and writes the same to bench/results/latest.json. PostgreSQL rows run when --postgres or
GRANTS_BENCH_POSTGRES_URL (or GRANTS_TEST_POSTGRES_URL) names a server; each case gets a fresh schema.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


def fresh_db(engine: str, pg_url: str | None, tmp: Path) -> str:
    """A new, empty ledger (as `grants init` makes one, without its first admin)."""
    from grants.ledger.application import GrantsLedger

    if engine == "sqlite":
        url = f"sqlite:///{tmp / f'{uuid.uuid4().hex[:8]}.sqlite'}"
    else:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"
    GrantsLedger.create(url).close()
    return url


def run(args, env_extra=None, check=True) -> float:
    """Wall time of a whole process."""
    env = {**os.environ, "GRANTS_ACTOR": "bench", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(f"{args} failed: {done.stderr.strip()}")
    return elapsed


def python(code: str, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRANTS_ACTOR": "bench", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    done = subprocess.run([PY, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done


def grants(url: str, *args) -> list[str]:
    return [PY, "-c", "from grants.cli.main import main; main()", "--db", url, *args]


def fill(url: str, positions: int, prefix: str) -> int:
    """Write `positions` full lifecycles (6 events each) through the ledger's batch path, 20k at a time."""
    code = f"""
from bench.data import lifecycle_lines
from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger
current_actor.set("bench")
ledger = GrantsLedger({url!r})
lines = list(lifecycle_lines({positions}, {prefix!r}))
for start in range(0, len(lines), 120000):
    chunk = [(i, c.parse(c.COMMANDS[l.pop("command")], **l)) for i, l in enumerate(lines[start:start + 120000])]
    written, refused = ledger.execute_all(chunk)
    assert not refused, refused[:1]
print(ledger.head())
"""
    return int(python(code).stdout.strip())


def median(values) -> float:
    return statistics.median(values)


def case_write(engine, pg_url, tmp, positions, repeat):
    from bench.data import write_batch

    batch = tmp / f"batch-{positions}.jsonl"
    events = positions * 6
    if not batch.exists():
        write_batch(batch, positions, prefix="W")
    ours, bare = [], []
    for _ in range(repeat):
        ours.append(run(grants(fresh_db(engine, pg_url, tmp), "import", str(batch))))
        url = fresh_db(engine, pg_url, tmp)
        bare.append(run([PY, "-c", f"from bench.bare import bare_write; bare_write({url!r}, {positions})"]))
    ours_eps, bare_eps = events / median(ours), events / median(bare)
    return [
        row(engine, "write", f"grants import, {positions:,} positions / {events:,} events", median(ours),
            f"{ours_eps:,.0f} events/s"),
        row(engine, "write", "bare eventsourcing save, same events", median(bare), f"{bare_eps:,.0f} events/s"),
        row(engine, "write", "ratio ours/bare (target >= 0.8)", None, f"{ours_eps / bare_eps:.2f}"),
    ]


def case_decision(engine, pg_url, tmp, repeat):
    url = fresh_db(engine, pg_url, tmp)
    fill(url, 1, "D")
    refs = [f"G/{i}" for i in range(repeat)]
    for ref in refs:
        run(grants(url, "apply", ref, "--kommune", "3401", "--scheme", "765.62", "--title", "t", "--fte", "1",
                   "--year", "2021"))
    grant = [run(grants(url, "grant", ref, "--year", "2021")) for ref in refs]
    show = [run(grants(url, "show", refs[0])) for _ in range(repeat)]
    baseline = [run([PY, "-c", "import eventsourcing.application, eventsourcing.sqlite, click, pydantic"])
                for _ in range(repeat)]
    return [
        row(engine, "decision", "grants grant (whole process; target < 0.150 s)", median(grant), ""),
        row(engine, "decision", "grants show (whole process; target < 0.150 s)", median(show), ""),
        row(engine, "decision", "python -c 'import eventsourcing..., click, pydantic'", median(baseline), "baseline"),
    ]


def case_replay(engine, pg_url, tmp, repeat):
    url = fresh_db(engine, pg_url, tmp)
    python(f"""
from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger
current_actor.set("bench")
ledger = GrantsLedger({url!r})
for ref, corrections in (("R/10", 7), ("R/1000", 997)):
    ledger.execute(c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    ledger.execute(c.parse(c.Grant, ref=ref, year=2021))
    ledger.execute(c.parse(c.Report, ref=ref, year=2021, spent="1"))
    work = [(i, c.parse(c.Report, ref=ref, year=2021, spent=str(i), correction=True)) for i in range(corrections)]
    ledger.execute_all(work)
""")
    now = datetime.now(UTC).isoformat()
    rows = []
    for ref, n in (("R/10", 10), ("R/1000", 1000)):
        show = [run(grants(url, "show", ref)) for _ in range(repeat)]
        as_of = [run(grants(url, "show", ref, "--as-of", now)) for _ in range(repeat)]
        rows.append(row(engine, "replay", f"grants show, position with {n:,} events", median(show), ""))
        rows.append(row(engine, "replay", f"grants show --as-of, position with {n:,} events", median(as_of), ""))
    return rows


def peak_rebuild(url) -> tuple[float, float]:
    """Whole-process rebuild: (seconds, peak RSS MB) of the process that ran it."""
    code = f"""
import resource, sys, time
sys.argv = ["grants", "--db", {url!r}, "projections", "rebuild"]
from grants.cli.main import main
started = time.perf_counter()
try:
    main()
except SystemExit as end:
    assert not end.code, end.code
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    done = python(code)
    seconds, mb = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(mb)


def case_scale(engine, pg_url, tmp, sizes, repeat):
    rows = []
    for positions in sizes:
        url = fresh_db(engine, pg_url, tmp)
        events = fill(url, positions, "S")
        rebuild, memory = zip(*[peak_rebuild(url) for _ in range(max(1, repeat - 1))], strict=True)
        bare = [float(python(f"""
import time
from grants.ledger.application import GrantsLedger
from bench.bare import bare_read
ledger = GrantsLedger({url!r})
started = time.perf_counter(); bare_read(ledger.recorder, ledger.mapper); print(time.perf_counter() - started)
""").stdout) for _ in range(max(1, repeat - 1))]
        ours_eps, bare_eps = events / median(rebuild), events / median(bare)
        funding = [run(grants(url, "funding", "--by", "office")) for _ in range(repeat)]
        winddown = [run(grants(url, "winddown")) for _ in range(repeat)]
        label = f"{events:,} events"
        rows += [
            row(engine, "rebuild", f"projections rebuild, {label}", median(rebuild), f"{ours_eps:,.0f} events/s"),
            row(engine, "rebuild", f"bare read + decode, {label}", median(bare), f"{bare_eps:,.0f} events/s"),
            row(engine, "rebuild", f"ratio rebuild/bare read, {label}", None, f"{ours_eps / bare_eps:.2f}"),
            row(engine, "rebuild", f"peak memory of rebuild, {label} (target < 300 MB)", None, f"{max(memory):.0f} MB"),
            row(engine, "reports", f"grants funding --by office, {label}", median(funding), ""),
            row(engine, "reports", f"grants winddown, {label}", median(winddown), ""),
        ]
    return rows


def row(engine, case, what, seconds, note):
    return {"engine": engine, "case": case, "what": what,
            "median_s": None if seconds is None else round(seconds, 3), "note": note}


def machine() -> dict:
    import sqlite3

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version, "eventsourcing": version("eventsourcing"),
            "sqlalchemy": version("sqlalchemy"), "pydantic": version("pydantic"), "click": version("click"),
            "when": datetime.now(UTC).isoformat(timespec="seconds")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a minute or two)")
    parser.add_argument("--postgres", default=os.environ.get("GRANTS_BENCH_POSTGRES_URL")
                        or os.environ.get("GRANTS_TEST_POSTGRES_URL"))
    parser.add_argument("--only", help="comma-separated cases: write,decision,replay,scale")
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    options = parser.parse_args()
    repeat = 3 if options.quick else 5
    write_positions = 2_000 if options.quick else 20_000
    sizes = [1_700, 17_000] if options.quick else [1_700, 17_000, 170_000]  # ~10k, 100k, 1M events
    engines = [e for e in options.engines.split(",") if e == "sqlite" or (e == "postgres" and options.postgres)]
    only = set((options.only or "write,decision,replay,scale").split(","))
    rows = []
    with tempfile.TemporaryDirectory(prefix="grants-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for engine in engines:
            if "write" in only:
                rows += case_write(engine, options.postgres, tmp, write_positions, repeat)
            if "decision" in only:
                rows += case_decision(engine, options.postgres, tmp, max(repeat, 10))
            if "replay" in only:
                rows += case_replay(engine, options.postgres, tmp, repeat)
            if "scale" in only:
                rows += case_scale(engine, options.postgres, tmp, sizes, 3)
            print_table(rows, machine())
    RESULTS.mkdir(exist_ok=True)
    name = "latest.json" if len(engines) > 1 else f"latest-{engines[0]}.json"
    (RESULTS / name).write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    print(f"\nwritten to {RESULTS / name}")


def print_table(rows, info) -> None:
    print(f"\n{info['platform']}, {info['cpus']} CPUs, Python {info['python']}, SQLite {info['sqlite']}, "
          f"eventsourcing {info['eventsourcing']}, SQLAlchemy {info['sqlalchemy']}, pydantic {info['pydantic']}")
    print(f"{'engine':8} {'case':9} {'what':66} {'median s':>9}  note")
    for r in rows:
        seconds = "" if r["median_s"] is None else f"{r['median_s']:.3f}"
        print(f"{r['engine']:8} {r['case']:9} {r['what']:66} {seconds:>9}  {r['note']}")


if __name__ == "__main__":
    main()
