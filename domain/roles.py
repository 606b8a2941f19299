"""The roles a user may have: stored values, the same in every language; marked so that `_(role)`
shows one in words. Here, apart from the User aggregate, so that the command models can offer
them without building its event classes (see domain/ids.py)."""

from grants.domain.i18n import N_

ROLES = (N_("caseworker"), N_("auditor"), N_("admin"))
