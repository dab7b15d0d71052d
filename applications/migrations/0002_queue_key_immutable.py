"""The queue key (accepted_at, queue_seq) is written once and never updated (DOMAIN.md §7)."""

from django.db import migrations

from core.migration_sql import vendor_operation

PG = [
    """
    CREATE OR REPLACE FUNCTION applications_queue_key_immutable() RETURNS trigger AS $$
    BEGIN
        IF NEW.accepted_at IS DISTINCT FROM OLD.accepted_at OR NEW.queue_seq IS DISTINCT FROM OLD.queue_seq THEN
            RAISE EXCEPTION 'the queue key of application % is immutable', OLD.number;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER application_queue_key_immutable BEFORE UPDATE OF accepted_at, queue_seq "
    "ON applications_application FOR EACH ROW EXECUTE FUNCTION applications_queue_key_immutable();",
]
SQLITE = [
    "CREATE TRIGGER application_queue_key_immutable BEFORE UPDATE OF accepted_at, queue_seq "
    "ON applications_application "
    "WHEN NEW.accepted_at IS NOT OLD.accepted_at OR NEW.queue_seq IS NOT OLD.queue_seq "
    "BEGIN SELECT RAISE(ABORT, 'the queue key of an application is immutable'); END;",
]



class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]
    operations = [
        vendor_operation(postgresql=PG, sqlite=SQLITE, postgresql_reverse=["DROP TRIGGER IF EXISTS application_queue_key_immutable ON applications_application;"], sqlite_reverse=["DROP TRIGGER IF EXISTS application_queue_key_immutable;"])
    ]
