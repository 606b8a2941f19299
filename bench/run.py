"""One command for every benchmark: python -m bench.run [--quick] [--postgres URL]

Builds its own data, runs each case several times, ours and its baseline alternated in the same
run (the machine is shared: alternating spreads its noise over both), and prints a table of
medians with each target's ratio, the machine and versions; the same goes to
bench/results/latest.json. PostgreSQL rows run when --postgres or GRANTS_BENCH_POSTGRES_URL (or
GRANTS_TEST_POSTGRES_URL) names a server; each ledger gets a fresh schema.

The cases (issue 14):
  write     grants import of N full lifecycles vs bare eventsourcing saves of the same events in
            batches of 200 aggregates (target >= 0.8)
  decision  grants show and grants grant (on a ledger of 10,000+ events) vs the whole process
            `python -c "import eventsourcing.application, eventsourcing.sqlite, click"` (targets
            <= 1.3 and <= 1.6), median of at least 10 alternated runs
  growth    at 10k / 100k / 1M events: import, projections rebuild (vs bare read and decode of the
            same log: target >= 0.5, memory flat), verify, show of a 1,000-event position and every
            report (target < 1 s at 1M), with the cost per event to spot super-linear rows
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
BASELINE = "import eventsourcing.application, eventsourcing.sqlite, click"  # the issue's, on both engines
BASELINE_PG = "import eventsourcing.application, eventsourcing.postgres, click"
REPORTS = (("funding --by office", ("funding", "--by", "office")), ("expiry", ("expiry",)),
           ("winddown", ("winddown",)), ("compliance", ("compliance",)), ("frames", ("frames",)))
SCANS = {"verify": ("verify",), "check": ("check",)}  # integrity checks that read every event, by design
LONG_REF = "L/1000"  # the position with 1,000 events added to every growth ledger


def compile_bytecode() -> None:
    """Write the .pyc files an installed package has: a PYTHONDONTWRITEBYTECODE environment would
    otherwise make every measured process compile the ledger's sources (tens of ms) while the
    libraries it is compared with load theirs compiled."""
    import compileall

    for folder in ("domain", "ledger", "projections", "cli", "bench"):
        compileall.compile_dir(ROOT / folder, quiet=1)


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


def drop_db(url: str) -> None:
    """Free the space of a ledger no longer measured (a 1M-event ledger is ~1 GB)."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.split("://", 1)[1][1:] + suffix).unlink(missing_ok=True)
        return
    import psycopg

    base, schema = url.split("schema=")[0].rstrip("?&"), url.split("schema=")[1]
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


ENV = {**os.environ, "GRANTS_ACTOR": "bench", "PYTHONPATH": str(ROOT)}


def run(args) -> float:
    """Wall time of a whole process."""
    return run_measured(args)[0]


def run_measured(args) -> tuple[float, float]:
    """Wall time and peak memory (RSS, MB) of a whole process; its output goes to files, not
    pipes, so waiting for it (os.wait4, which gives the process's own peak) cannot block."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=ENV, cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 6):  # grants check exits 6 when it has findings to report
            err.seek(0)
            raise RuntimeError(f"{args} failed ({process.returncode}): {err.read().decode().strip()}")
    return elapsed, usage.ru_maxrss / 1024


def python(code: str) -> subprocess.CompletedProcess:
    done = subprocess.run([PY, "-c", code], env=ENV, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done


def timed_python(code: str) -> tuple[float, ...]:
    """The numbers the last line of `code`'s output prints (in-process timings)."""
    return tuple(float(x) for x in python(code).stdout.strip().splitlines()[-1].split())


def grants(url: str, *args) -> list[str]:
    return [PY, "-c", "from grants.cli.main import main; main()", "--db", url, *args]


def alternated(cases: dict, repeat: int) -> dict[str, list[float]]:
    """Run every case once per round, round after round; each case is a callable -> seconds."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, measure in cases.items():
            times[name].append(measure())
    return times


def median(values) -> float:
    return statistics.median(values)


def spread(values) -> str:
    return f"min {min(values):.3f}, max {max(values):.3f}, n={len(values)}"


def batch_file(tmp: Path, positions: int, prefix: str) -> Path:
    from bench.data import write_batch

    path = tmp / f"batch-{prefix}-{positions}.jsonl"
    if not path.exists():
        write_batch(path, positions, prefix=prefix)
    return path


def case_write(engine, pg_url, tmp, positions, repeat):
    from bench.data import EVENTS_PER_POSITION

    batch = batch_file(tmp, positions, "W")
    events = positions * EVENTS_PER_POSITION

    peaks: dict[str, list[float]] = {"ours": [], "bare": []}

    def measured(name, args_for):
        url = fresh_db(engine, pg_url, tmp)
        seconds, peak = run_measured(args_for(url))
        peaks[name].append(peak)
        drop_db(url)
        return seconds

    times = alternated({
        "ours": lambda: measured("ours", lambda url: grants(url, "import", str(batch))),
        "bare": lambda: measured("bare", lambda url: [
            PY, "-c", f"from bench.bare import bare_write; bare_write({url!r}, {positions})"]),
    }, repeat)
    ours_eps, bare_eps = events / median(times["ours"]), events / median(times["bare"])
    return [
        row(engine, "write", f"grants import, {positions:,} positions / {events:,} events", median(times["ours"]),
            f"{ours_eps:,.0f} events/s ({spread(times['ours'])})"),
        row(engine, "write", "bare eventsourcing saves of the same events, 200 aggregates a save",
            median(times["bare"]), f"{bare_eps:,.0f} events/s ({spread(times['bare'])})"),
        row(engine, "write", "RATIO import / bare saves (target >= 0.8)", None, f"{ours_eps / bare_eps:.2f}"),
        # The import holds the whole file until its one transaction (all or nothing); the bare
        # saves drop each batch of 200 aggregates once saved.
        row(engine, "write", "peak memory of the import / of the bare saves", None,
            f"{max(peaks['ours']):.0f} MB / {max(peaks['bare']):.0f} MB"),
    ]


def case_decision(engine, pg_url, tmp, repeat):
    """show and grant on a ledger of 10,000+ events, alternated with the baseline process."""
    url = fresh_db(engine, pg_url, tmp)
    run(grants(url, "import", str(batch_file(tmp, 1_000, "D"))))
    refs = [f"G/{i}" for i in range(repeat)]
    python(f"""
from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger
current_actor.set("bench")
ledger = GrantsLedger({url!r})
work = [(i, c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
        for i, ref in enumerate({refs!r})]
assert not ledger.execute_all(work)[1]
""")
    pending = list(refs)
    cases = {
        "baseline": lambda: run([PY, "-c", BASELINE]),
        "show": lambda: run(grants(url, "show", "D0000001")),
        "grant": lambda: run(grants(url, "grant", pending.pop(), "--year", "2021", "--decided", "2021-03-01")),
    }
    if engine == "postgres":  # the same line with the library's PostgreSQL module (it imports psycopg)
        cases["baseline_pg"] = lambda: run([PY, "-c", BASELINE_PG])
    times = alternated(cases, repeat)
    base, show, grant = (median(times[name]) for name in ("baseline", "show", "grant"))
    drop_db(url)
    rows = [
        row(engine, "decision", f"python -c '{BASELINE}'", base, f"baseline ({spread(times['baseline'])})"),
        row(engine, "decision", "grants show (whole process)", show, spread(times["show"])),
        row(engine, "decision", "grants grant, ledger of 10,000+ events (whole process)", grant,
            spread(times["grant"])),
        row(engine, "decision", "RATIO show / baseline (target <= 1.3)", None, f"{show / base:.2f}"),
        row(engine, "decision", "RATIO grant / baseline (target <= 1.6)", None, f"{grant / base:.2f}"),
    ]
    if engine == "postgres":
        base_pg = median(times["baseline_pg"])
        rows += [
            row(engine, "decision", f"python -c '{BASELINE_PG}'", base_pg, spread(times["baseline_pg"])),
            row(engine, "decision", "ratio show / the PostgreSQL line", None, f"{show / base_pg:.2f}"),
            row(engine, "decision", "ratio grant / the PostgreSQL line", None, f"{grant / base_pg:.2f}"),
        ]
    return rows


def add_long_position(url: str) -> None:
    """A position with 1,000 events: apply, grant, report and 997 corrections of the report."""
    python(f"""
from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger
current_actor.set("bench")
ledger = GrantsLedger({url!r})
ref = {LONG_REF!r}
ledger.execute(c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
ledger.execute(c.parse(c.Grant, ref=ref, year=2021))
ledger.execute(c.parse(c.Report, ref=ref, year=2021, spent="1"))
work = [(i, c.parse(c.Report, ref=ref, year=2021, spent=str(i), correction=True)) for i in range(997)]
assert not ledger.execute_all(work)[1]
""")


def rebuild_in_process(url: str) -> tuple[float, ...]:
    """(seconds, peak RSS MB) of a rebuild, in its own process, without start-up."""
    return timed_python(f"""
import resource, time
from grants.ledger.application import GrantsLedger
from grants.projections.db import engine_for
from grants.projections.runner import Runner
ledger = GrantsLedger({url!r})
runner = Runner(engine_for(ledger.url), ledger)
started = time.perf_counter()
runner.rebuild()
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
""")


def bare_read_in_process(url: str) -> tuple[float, ...]:
    return timed_python(f"""
import time
from grants.ledger.application import GrantsLedger
from bench.bare import bare_read, library_mapper
ledger, mapper = GrantsLedger({url!r}), library_mapper()
started = time.perf_counter(); bare_read(ledger.recorder, mapper); print(time.perf_counter() - started)
""")


def case_growth(engine, pg_url, tmp, sizes, repeat):
    from bench.data import EVENTS_PER_POSITION

    rows = []
    for positions in sizes:
        events = positions * EVENTS_PER_POSITION
        label = f"{events:,} events"
        url = fresh_db(engine, pg_url, tmp)
        imported = run(grants(url, "import", str(batch_file(tmp, positions, "S"))))
        rows.append(row(engine, "growth", f"import, {label}", imported, per_event(imported, events)))
        add_long_position(url)
        rebuilds, memory, bares = [], [], []
        for _ in range(repeat):  # alternated
            seconds, mb = rebuild_in_process(url)
            rebuilds.append(seconds)
            memory.append(mb)
            bares.append(bare_read_in_process(url)[0])
        rows += [
            row(engine, "growth", f"projections rebuild, {label}", median(rebuilds),
                per_event(median(rebuilds), events)),
            row(engine, "growth", f"bare read + decode, {label}", median(bares), per_event(median(bares), events)),
            row(engine, "growth", f"RATIO rebuild / bare read, {label} (target >= 0.5)", None,
                f"{median(bares) / median(rebuilds):.2f}"),
            row(engine, "growth", f"peak memory of rebuild, {label} (flat)", None, f"{max(memory):.0f} MB"),
        ]
        measured = alternated({
            "show": lambda url=url: run(grants(url, "show", LONG_REF)),
            **{name: (lambda url=url, args=args: run(grants(url, *args))) for name, args in REPORTS},
        }, repeat)
        measured |= alternated({  # whole-log scans: once at a million events (minutes each)
            name: (lambda url=url, args=args: run(grants(url, *args))) for name, args in SCANS.items()
        }, 1 if events >= 500_000 else repeat)
        rows.append(row(engine, "growth", f"show of a 1,000-event position, {label}", median(measured["show"]),
                        spread(measured["show"])))
        for name, _ in REPORTS:
            rows.append(row(engine, "growth", f"{name}, {label} (target < 1 s at 1M)", median(measured[name]),
                            spread(measured[name])))
        for name in SCANS:
            rows.append(row(engine, "growth", f"{name} (reads the whole log), {label}", median(measured[name]),
                            per_event(median(measured[name]), events)))
        drop_db(url)
        print_table(rows[-(6 + len(REPORTS) + len(SCANS)):], None)
    return rows


def per_event(seconds: float, events: int) -> str:
    return f"{seconds / events * 1e6:.1f} µs/event, {events / seconds:,.0f} events/s"


def row(engine, case, what, seconds, note):
    return {"engine": engine, "case": case, "what": what,
            "median_s": None if seconds is None else round(seconds, 3), "note": note}


def machine() -> dict:
    import sqlite3

    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version, "eventsourcing": version("eventsourcing"),
            "sqlalchemy": version("sqlalchemy"), "pydantic": version("pydantic"), "click": version("click"),
            "psycopg": version("psycopg"), "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["python -m bench.run", *sys.argv[1:]])}
    info["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())  # how busy the shared machine was
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a couple of minutes)")
    parser.add_argument("--postgres", default=os.environ.get("GRANTS_BENCH_POSTGRES_URL")
                        or os.environ.get("GRANTS_TEST_POSTGRES_URL"))
    parser.add_argument("--only", help="comma-separated cases: write,decision,growth")
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    parser.add_argument("--positions", help="comma-separated growth sizes in positions of 10 events "
                                            "(default 1000,10000,100000; --quick 1000,5000)")
    options = parser.parse_args()
    compile_bytecode()
    repeat = 3 if options.quick else 5
    write_positions = 2_000 if options.quick else 20_000
    sizes = [1_000, 5_000] if options.quick else [1_000, 10_000, 100_000]  # 10k, (50k) 100k, 1M events
    if options.positions:
        sizes = [int(n) for n in options.positions.split(",")]
    engines = [e for e in options.engines.split(",") if e == "sqlite" or (e == "postgres" and options.postgres)]
    only = set((options.only or "write,decision,growth").split(","))
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grants-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for engine in engines:
            if "write" in only:
                rows += case_write(engine, options.postgres, tmp, write_positions, repeat)
                print_table(rows[-3:], None)
            if "decision" in only:
                found = case_decision(engine, options.postgres, tmp, 10 if options.quick else 15)
                rows += found
                print_table(found, None)
            if "growth" in only:
                rows += case_growth(engine, options.postgres, tmp, sizes, 2 if options.quick else 3)
    info = {**machine(), "seconds": round(time.perf_counter() - started)}
    print_table(rows, info)
    RESULTS.mkdir(exist_ok=True)
    name = "latest.json" if len(engines) > 1 else f"latest-{engines[0]}.json"
    (RESULTS / name).write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    print(f"\nwritten to {RESULTS / name}")


def print_table(rows, info) -> None:
    if info:
        print(f"\n{info['command']}  ({info['when']}, {info['seconds']} s, load {info.get('load', '?')})")
        print(f"{info['platform']}, {info['cpus']} CPUs, Python {info['python']}, SQLite {info['sqlite']}, "
              f"eventsourcing {info['eventsourcing']}, SQLAlchemy {info['sqlalchemy']}, pydantic {info['pydantic']}, "
              f"click {info['click']}, psycopg {info['psycopg']}")
    print(f"{'engine':8} {'case':9} {'what':62} {'median s':>9}  note")
    for r in rows:
        seconds = "" if r["median_s"] is None else f"{r['median_s']:.3f}"
        print(f"{r['engine']:8} {r['case']:9} {r['what']:62} {seconds:>9}  {r['note']}", flush=True)


if __name__ == "__main__":
    main()
