-- PostgreSQL set-up for a shared grants ledger where every person has a login.
-- Generated from grants.ledger.pg_setup.setup_sql() for schema public and the default group names
-- (tests/integration/test_identity_postgres.py checks that this file holds exactly that script).
-- Run it as the login that owns the ledger's tables (psql -f), after:
--   1. grants init                      (as the owner: the first admin is the owner's login)
--   2. grants projections rebuild       (as the owner: the read-model tables belong to the owner)
-- It is idempotent: run it again after an upgrade that adds tables.
-- What it gives (docs/audit.md, "Identity"):
--   grants_writers  caseworkers and admins: SELECT; INSERT events and chain rows, never UPDATE,
--                   DELETE or TRUNCATE them; write the derived read models (proj_*)
--   grants_admins   admins (also writers): the only logins that may append user, frame and
--                   appropriation events
--   grants_readers  auditors and reporting jobs: SELECT only
-- The chain row's login column is filled by a trigger with session_user (created with the tables
-- by the ledger itself), so every row names the login that inserted it.
DO $$BEGIN CREATE ROLE "grants_writers" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
DO $$BEGIN CREATE ROLE "grants_admins" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
DO $$BEGIN CREATE ROLE "grants_readers" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$;
GRANT "grants_writers" TO "grants_admins";
REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM PUBLIC;
GRANT USAGE ON SCHEMA "public" TO "grants_writers", "grants_readers";
GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "grants_writers", "grants_readers";
GRANT INSERT ON "public"."grants_events", "public".grants_chain TO "grants_writers";
GRANT USAGE ON SEQUENCE "public"."grants_events_notification_id_seq" TO "grants_writers";
DO $$DECLARE t text; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
    AND tablename LIKE 'proj\_%'
  LOOP EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %I.%I TO %I', 'public', t,
    'grants_writers');
  END LOOP; END$$;
CREATE OR REPLACE FUNCTION "public".grants_admin_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF (NEW.topic LIKE 'domain.users:%' OR NEW.topic IN ('domain.frame:BudgetFrame.FrameSet', 'domain.frame:BudgetFrame.FrameRevised', 'domain.appropriation:Appropriation.AppropriationSet', 'domain.appropriation:Appropriation.AppropriationRevised'))
  AND NOT pg_has_role(session_user, 'grants_admins', 'MEMBER')
  AND NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
  RAISE EXCEPTION 'only admin logins may record % events', NEW.topic
    USING ERRCODE = 'insufficient_privilege';
END IF; RETURN NEW; END$$;
DROP TRIGGER IF EXISTS grants_admin_events ON "public"."grants_events";
CREATE TRIGGER grants_admin_events BEFORE INSERT ON "public"."grants_events" FOR EACH ROW EXECUTE FUNCTION "public".grants_admin_events();
