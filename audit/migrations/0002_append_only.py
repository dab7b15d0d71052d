"""Audit events are append-only: the database itself refuses UPDATE and DELETE.

PostgreSQL (production, CI) refuses both per row. The embedded SQLite (bare-machine demo only)
refuses UPDATE; DELETE stays possible there because Django's test flush deletes rows.
TRUNCATE is an administrative act: the application's database role must not hold that privilege.
"""

from django.db import migrations

from core.migration_sql import vendor_operation

PG = [
    """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
]
SQLITE = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;",
]



class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        vendor_operation(postgresql=PG, sqlite=SQLITE, postgresql_reverse=["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;"], sqlite_reverse=["DROP TRIGGER IF EXISTS audit_event_no_update;"])
    ]
