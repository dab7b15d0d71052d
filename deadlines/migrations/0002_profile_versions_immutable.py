"""Published regulation profile versions are never changed: the database refuses UPDATE (and DELETE on PostgreSQL).

As for the audit log, SQLite (bare-machine demo only) keeps DELETE possible because Django's test flush deletes rows.
"""

from django.db import migrations

from core.migration_sql import vendor_operation

PG = [
    """
    CREATE OR REPLACE FUNCTION deadlines_profile_version_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'regulation profile versions are immutable (% refused); publish a new version', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER deadlines_profile_version_immutable BEFORE UPDATE OR DELETE ON deadlines_regulationprofileversion "
    "FOR EACH ROW EXECUTE FUNCTION deadlines_profile_version_immutable();",
]
SQLITE = [
    "CREATE TRIGGER deadlines_profile_version_no_update BEFORE UPDATE ON deadlines_regulationprofileversion "
    "BEGIN SELECT RAISE(ABORT, 'regulation profile versions are immutable (UPDATE refused)'); END;",
]


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]
    operations = [
        vendor_operation(
            postgresql=PG,
            sqlite=SQLITE,
            postgresql_reverse=[
                "DROP TRIGGER IF EXISTS deadlines_profile_version_immutable ON deadlines_regulationprofileversion;"
            ],
            sqlite_reverse=["DROP TRIGGER IF EXISTS deadlines_profile_version_no_update;"],
        )
    ]
