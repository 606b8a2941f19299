"""Benchmark data: a national batch of full lifecycles as a JSON Lines import file."""

import json
from pathlib import Path

from grants.domain.kommuner import all_current

EVENTS_PER_POSITION = 10


def lifecycle_lines(positions: int, prefix: str = "N"):
    """Per position, the whole life of a transitional 765.62 position as the rules expect it (10
    events): applied for 2021 with its permanence plan, granted, each year's report received before
    its deadline and before the next year is advanced, spent in full, and wound down at the end of
    2024; so the compliance report and `grants check` list what a well-kept ledger would (nothing),
    not hundreds of thousands of made-up findings."""
    kommuner = [k.number for k in all_current() if k.valid_from is None]  # codes valid in 2021
    for i in range(positions):
        ref = f"{prefix}{i:07d}"
        kommune = kommuner[i % len(kommuner)]
        yield {"command": "apply", "ref": ref, "kommune": kommune, "scheme": "765.62", "title": "Ruskonsulent",
               "fte": ["1", "0.5", "0.8"][i % 3], "year": 2021, "received": "2021-02-01",
               "permanence_plan": "Stillingen videreføres i kommunens budsjett"}
        yield {"command": "grant", "ref": ref, "year": 2021, "decided": "2021-03-01"}
        for year in (2021, 2022, 2023, 2024):
            yield {"command": "report", "ref": ref, "year": year, "spent": "700000", "received": f"{year + 1}-01-20"}
            if year < 2024:
                yield {"command": "advance", "ref": ref, "year": year + 1, "decided": f"{year + 1}-03-01"}
        yield {"command": "terminate", "ref": ref, "cause": "wound-down", "reason": "overgangsordningen er slutt",
               "effective": "2024-12-31"}


def write_batch(path: Path, positions: int, prefix: str = "N") -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for line in lifecycle_lines(positions, prefix):
            f.write(json.dumps(line) + "\n")
            count += 1
    return count
