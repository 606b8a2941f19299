"""A writer process for the kill -9 tests: batches of 10 positions (apply + grant), all or nothing,
numbered from START until it is killed. Usage: python -m tests.reliability.writer URL START"""

import sys

from grants.domain import commands as c
from grants.domain.actor import current_actor
from grants.ledger.application import GrantsLedger


def main(url: str, start: int) -> None:
    current_actor.set("writer")
    ledger = GrantsLedger.create(url)
    batch = start
    while True:
        commands = []
        for i in range(10):
            ref = f"K{batch}/{i}"
            commands.append(c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
            commands.append(c.parse(c.Grant, ref=ref, year=2021))
        written, refused = ledger.execute_all(list(enumerate(commands, 1)))
        assert not refused and written == 20
        print(batch, flush=True)
        batch += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
