#!/bin/sh
# A position's whole lifecycle on a fresh SQLite ledger: apply, grant, three more years under the
# transitional rule, an FTE reduction, a report with money to reclaim, wind-down, and the refused
# fifth year. Prints the position and its history as an auditor sees them.
set -e
GRANTS_DB="sqlite:///$(mktemp -d)/example.sqlite"
GRANTS_ACTOR="${GRANTS_ACTOR:-kari.nordmann}"
export GRANTS_DB GRANTS_ACTOR
grants init   # only init creates a ledger
REF=2021/4711-3

grants apply $REF --kommune 3401 --scheme 765.62 --title "Ruskonsulent" --fte 1 --year 2021 --received 2021-02-08
grants grant $REF --year 2021 --decided 2021-03-15
grants advance $REF --year 2022 --decided 2022-03-10
grants advance $REF --year 2023 --decided 2023-03-09
grants reduce-fte $REF --fte 0.5 --effective 2023-07-01 --reason "half the position vacant"
grants advance $REF --year 2024 --decided 2024-03-07
grants report $REF --year 2024 --spent 150000 --fte-filled 0.5 --self-financing 90000 --received 2025-02-01
echo "--- 2025 is refused: 765.62 pays nothing after 2024 (exit code 6):"
grants advance $REF --year 2025 2>&1 || echo "exit code $?"
grants terminate $REF --cause wound-down --reason "transitional rule ended 2024" --effective 2024-12-31
echo "--- grants show $REF"
grants show $REF
echo "--- grants history $REF"
grants history $REF
