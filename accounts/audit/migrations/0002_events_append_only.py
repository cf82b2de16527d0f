"""The events table refuses what the log must not do (the app's own guard is
accounts.audit.models.EventQuerySet): code or SQL beside the app changed and deleted
events silently, noticed only by audit_verify later (found by an audit).

PostgreSQL refuses every UPDATE and DELETE, but for a DELETE of a row dated before the
cutoff that retention declares for its transaction (`audit.prune_before`, set by
EventQuerySet.remove_before). SQLite's triggers cannot read such a setting: there an
UPDATE is refused and a DELETE is not (Django's test runner empties tables by DELETE).

SQLite remakes a table to alter one of its columns, and the trigger goes with the old
table: a later migration that alters the events table must create it again
(tests/test_audit_chain.py checks that it is there).
"""

from django.db import migrations

POSTGRES_FORWARDS = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- NULLIF: unset or withdrawn, the comparison is NULL, and the row is refused.
    IF TG_OP = 'DELETE'
       AND OLD.at < NULLIF(current_setting('audit.prune_before', true), '')::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event #% refused', TG_OP, OLD.id
        USING HINT = 'retention (manage.py audit_prune) alone removes events, past its cutoff';
END $$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
POSTGRES_BACKWARDS = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
SQLITE_FORWARDS = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused');
END;
"""
SQLITE_BACKWARDS = "DROP TRIGGER IF EXISTS audit_event_append_only;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARDS, params=None)  # its % are not placeholders
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARDS)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
