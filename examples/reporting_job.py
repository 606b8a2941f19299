"""A reporting job: granted money per office for one year, with the open compliance issues,
read through the grants Python API (docs/reporting.md) and written as CSV.

    GRANTS_DB=postgresql+psycopg://grants_reader:...@host/grants \\
        python examples/reporting_job.py --year 2024 > funding-2024.csv

--in-force DATE asks what was in force on that date, as known today (docs/audit.md).
"""

import argparse
import csv
import sys
from collections import Counter
from datetime import date

from grants.domain.errors import GrantsError
from grants.projections.api import Reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, required=True, help="The budget year.")
    parser.add_argument("--db", help="Database URL (default: GRANTS_DB).")
    parser.add_argument("--in-force", type=date.fromisoformat, help="Only what was in force on this date.")
    args = parser.parse_args(argv)

    try:
        with Reports(args.db, in_force=args.in_force) as reports:
            if reports.behind:
                print(f"warning: the read models lag the log by {reports.behind} events", file=sys.stderr)
            offices = reports.funding(by="office", year=args.year)
            issues = Counter(issue.office for issue in reports.compliance(year=args.year))
    except GrantsError as error:  # no ledger, not a user of it, ...: one line and the CLI's exit code
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["office", "positions", "fte", "granted_nok", "spent_nok", "to_reclaim_nok", "open_issues"])
    for row in offices:  # typed rows: int kroner, Decimal FTE
        out.writerow([row.office, row.positions, row.fte, row.amount, row.spent, row.to_reclaim, issues[row.office]])
    out.writerow(["all", sum(r.positions for r in offices), sum(r.fte for r in offices),
                  sum(r.amount for r in offices), sum(r.spent for r in offices),
                  sum(r.to_reclaim for r in offices), sum(issues.values())])
    return 0


if __name__ == "__main__":
    sys.exit(main())
