"""PostgreSQL set-up for a shared ledger where every person has a login (docs/audit.md, README).

Run once by the login that owns the ledger's tables, after `grants init` (which only the owner
may run) and after the read-model tables exist. The same SQL, for schema `public` and the default
group names, is in docs/identity-postgres.sql for a DBA who does not run `grants`.

- `<writers>`: caseworkers and admins. SELECT everything; INSERT events and chain rows (never
  UPDATE, DELETE or TRUNCATE them); write the read models, which are derived and checked by
  `grants projections check`.
- `<admins>` (members are writers too): the only logins that may append user and budget-frame
  events; a trigger refuses anyone else, so a caseworker cannot make herself an admin with SQL.
- `<readers>`: auditors and reporting jobs. SELECT only.
Each person then gets a login named as their ledger user: `login_sql("kari", "grants_writers")`.
The chain row's login is written by a trigger (ledger/chain_postgres.py), so whatever a login
inserts is recorded as that login, and `grants verify` names events recorded without the role.
"""

from typing import Any

from grants.domain.appropriation import Appropriation
from grants.domain.errors import NotAllowed, RuleRefused
from grants.domain.frame import BudgetFrame

WRITERS, ADMINS, READERS = "grants_writers", "grants_admins", "grants_readers"
# Events only admins may append (besides every domain.users event): frames and appropriations.
ADMIN_TOPICS = (BudgetFrame.FrameSet.TOPIC, BudgetFrame.FrameRevised.TOPIC, Appropriation.AppropriationSet.TOPIC,
                Appropriation.AppropriationRevised.TOPIC)


def setup_sql(schema: str = "public", writers: str = WRITERS, admins: str = ADMINS, readers: str = READERS,
              events: str = "grants_events") -> str:
    """The set-up as one SQL script (idempotent: it can be run again after an upgrade)."""
    s, ev = _ident(schema), f"{_ident(schema)}.{_ident(events)}"
    w, a, r = _ident(writers), _ident(admins), _ident(readers)
    topics = ", ".join(_literal(t) for t in ADMIN_TOPICS)
    return "\n".join([
        *(_create_group(name) for name in (writers, admins, readers)),
        f"GRANT {w} TO {a};",
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC;",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC;",
        f"GRANT USAGE ON SCHEMA {s} TO {w}, {r};",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {w}, {r};",
        f"GRANT INSERT ON {ev}, {s}.grants_chain TO {w};",
        f"GRANT USAGE ON SEQUENCE {s}.{_ident(events + '_notification_id_seq')} TO {w};",
        "DO $$DECLARE t text; BEGIN",
        f"  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = {_literal(schema)}",
        "    AND tablename LIKE 'proj\\_%'",
        f"  LOOP EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %I.%I TO %I', {_literal(schema)}, t,",
        f"    {_literal(writers)});",
        "  END LOOP; END$$;",
        f"CREATE OR REPLACE FUNCTION {s}.grants_admin_events() RETURNS trigger LANGUAGE plpgsql AS $$",
        f"BEGIN IF (NEW.topic LIKE 'domain.users:%' OR NEW.topic IN ({topics}))",
        f"  AND NOT pg_has_role(session_user, {_literal(admins)}, 'MEMBER')",
        "  AND NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN",
        "  RAISE EXCEPTION 'only admin logins may record % events', NEW.topic",
        "    USING ERRCODE = 'insufficient_privilege';",
        "END IF; RETURN NEW; END$$;",
        f"DROP TRIGGER IF EXISTS grants_admin_events ON {ev};",
        f"CREATE TRIGGER grants_admin_events BEFORE INSERT ON {ev} FOR EACH ROW "
        f"EXECUTE FUNCTION {s}.grants_admin_events();",
    ]) + "\n"


def login_sql(login: str, group: str, password: str | None = None) -> str:
    """One person's login, in a group (admins: `grants_admins`, caseworkers: `grants_writers`,
    auditors: `grants_readers`). Named as the person's ledger user."""
    secret = f" PASSWORD {_literal(password)}" if password else ""
    return f"CREATE ROLE {_ident(login)} LOGIN{secret} IN ROLE {_ident(group)};\n"


def setup_identity(ledger: Any, writers: str = WRITERS, admins: str = ADMINS, readers: str = READERS) -> str:
    """Run the set-up on the ledger's database as its owner; returns the SQL it ran."""
    recorder = ledger.recorder
    if not ledger.on_postgres:
        raise RuleRefused("db: the login set-up is for PostgreSQL; on SQLite file permissions are the boundary")
    if not recorder.owns_ledger():
        raise NotAllowed(f"db: login {ledger.login()!r} does not own this ledger's tables; its owner runs the set-up")
    if not ledger.is_initialised():
        raise RuleRefused("init: run grants init first, so that the owner chooses the first admin")
    ledger.require_admin("setting up logins")
    if not _has_read_models(recorder):
        raise RuleRefused("projections: create the read-model tables first (as the owner), then run the set-up")
    script = setup_sql(recorder.datastore.schema, writers, admins, readers, recorder.events_table_name)
    with recorder.datastore.transaction(commit=True) as curs:
        curs.execute(script)
    return script


def _has_read_models(recorder) -> bool:
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (f'"{recorder.datastore.schema}".proj_tracking',))
        return curs.fetchone()["found"]


def _create_group(name: str) -> str:
    return (f"DO $$BEGIN CREATE ROLE {_ident(name)} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END$$;")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
