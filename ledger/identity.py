"""Who acts, and who was allowed to.

PostgreSQL (a shared ledger): the identity is the database login, `session_user`. The chain row of
every event records it (a trigger no client can override, ledger/chain_postgres.py); once the
ledger is initialised, roles are checked against the login, and a GRANTS_ACTOR that names anyone
else is refused (exit 5, `bound_name` in ledger/application.py). Only a login that owns the
ledger's tables may run `grants init`, so the first admin is the owner's choice, not whoever
comes first.

SQLite (a personal ledger): file permissions are the boundary. The chain row records the OS user;
the actor is GRANTS_ACTOR or, unset, the OS user, and a GRANTS_ACTOR that differs from the OS user
is kept as claimed (the event's actor) beside the recorded login.

`Authority` replays users and offices in log order for `grants verify`, naming every event whose
recorded identity lacked the role or office for it, or whose login differs from its claimed actor.
"""

from typing import Any

from grants.domain.frame import BudgetFrame
from grants.domain.i18n import _
from grants.domain.position import GrantPosition
from grants.domain.users import LedgerSettings, User


def _module_of(topic: str) -> str:
    """The stored topic's module part ("domain.users:"), shared by an aggregate's events."""
    return topic.split(":", 1)[0] + ":"


USERS, FRAMES, POSITIONS = _module_of(User.TOPIC), _module_of(BudgetFrame.TOPIC), _module_of(GrantPosition.TOPIC)
INITIALIZED = LedgerSettings.Initialized.TOPIC
USER_ADDED, ROLE_CHANGED = User.Added.TOPIC, User.RoleChanged.TOPIC
FRAME_SET, COMMITTED = BudgetFrame.FrameSet.TOPIC, BudgetFrame.Committed.TOPIC
APPLIED = GrantPosition.Applied.TOPIC


class Authority:
    """Users, roles and offices as the log had them at each event, for `grants verify`."""

    def __init__(self, by_login: bool):
        self.by_login = by_login  # PostgreSQL: the recorded login acts; SQLite: the claimed actor
        self.initialised = False
        self.users: dict[str, tuple[str, str | None]] = {}  # name -> (role, office)
        self.user_names: dict[str, str] = {}  # user aggregate id -> name
        self.offices: dict[str, str] = {}  # position or frame id -> office

    def see(self, row: Any, payload: dict) -> str | None:
        """Fold one event; return what is wrong with who recorded it, if anything."""
        topic, oid = str(row.event[2]), _hex(row.event[0])
        claimed = payload.get("first_admin" if topic == INITIALIZED else "actor")
        login = row.chain.login if row.chain else None
        finding = self._judge(topic, oid, payload, claimed, login) if self.initialised else None
        self._fold(topic, oid, payload)
        return finding

    def _judge(self, topic, oid, payload, claimed, login) -> str | None:
        if self.by_login and login is not None:
            if claimed is not None and claimed != login:
                return _("claims actor {claimed} but was recorded by login {login}").format(
                    claimed=repr(claimed), login=repr(login))
            who = login
        else:
            who = claimed
        role, office = self.users.get(who, (None, None))
        if role is None:
            return _("was recorded by {who}, who is not a user of the ledger").format(who=repr(who))
        needed_office = self._office_needed(topic, oid, payload)
        if role == "admin" or (role == "caseworker" and needed_office is not None and office == needed_office):
            return None
        what = (_("a position or frame of {office}").format(office=needed_office) if needed_office
                else _admin_work(topic))
        if office:
            return _("was recorded by {who} ({role} at {office}), who may not record {what}").format(
                who=repr(who), role=_(role), office=office, what=what)
        return _("was recorded by {who} ({role}), who may not record {what}").format(who=repr(who), role=_(role),
                                                                                     what=what)

    def _office_needed(self, topic: str, oid: str, payload: dict) -> str | None:
        """The office a caseworker must belong to; None: only an admin may record this event."""
        if topic == APPLIED:
            return payload.get("office")
        if topic.startswith(POSITIONS) or topic == COMMITTED:
            return self.offices.get(oid, _("an unknown office"))
        return None

    def _fold(self, topic: str, oid: str, payload: dict) -> None:
        if topic == INITIALIZED:
            self.initialised = True
            self.users[str(payload.get("first_admin"))] = ("admin", None)
        elif topic == USER_ADDED:
            self.user_names[oid] = str(payload.get("name"))
            self.users[self.user_names[oid]] = _role_and_office(payload)
        elif topic == ROLE_CHANGED and oid in self.user_names:
            self.users[self.user_names[oid]] = _role_and_office(payload)
        elif topic in (APPLIED, FRAME_SET):
            self.offices[oid] = str(payload.get("office"))


def _admin_work(topic: str) -> str:
    if topic.startswith(USERS):
        return _("changes to users")
    if topic.startswith(FRAMES):
        return _("budget frames")
    return _("{topic} events").format(topic=repr(topic))


def _hex(oid) -> str:
    return oid.hex if hasattr(oid, "hex") and not isinstance(oid, str) else str(oid).replace("-", "")


def _role_and_office(payload: dict) -> tuple[str, str | None]:
    office = payload.get("office")
    return str(payload.get("role")), None if office is None else str(office)
