"""docs/audit.md lists every kind `grants check` has, and no other (the kinds are defined once,
in grants.projections.checks; the docs describe them for people)."""

import re
from pathlib import Path

from grants.projections.checks import KINDS

AUDIT = Path(__file__).parents[2] / "docs" / "audit.md"


def test_the_check_table_in_the_audit_docs_names_every_kind_once():
    section = AUDIT.read_text(encoding="utf-8").split("## `grants check`")[1]
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
    assert sorted(documented) == sorted(KINDS)  # every kind, and no other
    assert len(documented) == len(set(documented))  # each once
