"""Index AuditEvent.action with a plain index: db_index on a text column also built a LIKE-pattern copy on
PostgreSQL that nobody reads. Django's own AlterField would rebuild the table on SQLite, losing the append-only
trigger (0002), so the field change is state-only and only the old indexes are dropped."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='action',
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [
                        "DROP INDEX IF EXISTS audit_auditevent_action_2131bb77;",
                        "DROP INDEX IF EXISTS audit_auditevent_action_2131bb77_like;",
                    ],
                    reverse_sql=["CREATE INDEX audit_auditevent_action_2131bb77 ON audit_auditevent (action);"],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action'], name='audit_event_action'),
        ),
    ]
