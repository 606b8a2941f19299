"""A position's statuses: stored values, the same in every language; marked so that `_(status)`
shows them in words. Here, apart from the aggregate, so that a report can name them without
building the aggregate's classes (see domain/ids.py)."""

from grants.domain.i18n import N_

APPLIED, ACTIVE, REJECTED, TERMINATED = N_("applied"), N_("active"), N_("rejected"), N_("terminated")
