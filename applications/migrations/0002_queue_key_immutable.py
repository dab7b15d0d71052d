"""The queue key (accepted_at, queue_seq) is written once and never updated (DOMAIN.md §7)."""

from django.db import migrations

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


def forwards(apps, schema_editor):
    statements = PG if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS application_queue_key_immutable ON applications_application;")
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS application_queue_key_immutable;")


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
