"""The reference rows the read models copy from the rules data (each scheme's deadlines and the
attestation its reports need, `proj_scheme_years`) and their fingerprint, without SQLAlchemy: a
report on read models that are current checks the fingerprint before it reads
(grants.projections.current)."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from typing import Any


def scheme_year_rows() -> list[dict[str, Any]]:
    """Every scheme and year with a funding rule: its deadlines and the attestation its reports need."""
    from grants.domain import rules
    from grants.domain.errors import GrantsError

    rows = []
    for scheme_id in rules.scheme_ids():
        scheme = rules.scheme(scheme_id)
        for year in range(scheme.first_year, scheme.first_year + 40):
            try:
                rules.rule_for(scheme_id, year)
            except GrantsError:
                continue
            rows.append({"scheme": scheme_id, "year": year,
                         "application_due": rules.application_due(scheme_id, year),
                         "report_due": rules.report_due(scheme_id, year),
                         "report_attestation": scheme.attestation})
    return rows


@cache
def reference_fingerprint() -> str:
    """A short fingerprint of the reference rows: they are refreshed when the data shipped differs."""
    return hashlib.sha256(repr(_key(scheme_year_rows())).encode()).hexdigest()[:16]


def _key(rows: list[dict[str, Any]]) -> list[tuple]:
    def day(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    return sorted((r["scheme"], r["year"], day(r["application_due"]), day(r["report_due"]),
                   r["report_attestation"]) for r in rows)
