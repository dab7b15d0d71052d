"""Drop indexes nobody reads: the single-column indexes of provider and queue_list (each leads a composite index
of the model), and the LIKE-pattern copy PostgreSQL built for `state` (db_index on a text column).

Only the indexes are dropped (DROP INDEX IF EXISTS, the same names on PostgreSQL and SQLite). Django's own
AlterField would rebuild the table on SQLite, losing the queue-key trigger (0002), so the field changes are
state-only.
"""

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('applications', '0007_inbox_order_index'),
        ('deadlines', '0003_builtin_profiles'),
        ('queues', '0006_drop_redundant_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='application',
                    name='provider',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='accounts.provider'),
                ),
                migrations.AlterField(
                    model_name='application',
                    name='queue_list',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='queues.queuelist'),
                ),
                migrations.AlterField(
                    model_name='application',
                    name='state',
                    field=django_fsm.FSMField(choices=[('accepted', 'Accepted, waiting for registration'), ('registered', 'Registered, waiting for an executor'), ('in_review', 'Under review'), ('awaiting_documents', 'Waiting for documents from the applicant'), ('hearing', 'Preliminary refusal, hearing scheduled'), ('awaiting_signature', 'Decision drafted, waiting for signature'), ('queued', 'Registered in the queue'), ('refused', 'Refused'), ('returned', 'Returned as incomplete'), ('withdrawn', 'Withdrawn by the applicant'), ('removed', 'Removed from the register'), ('housed', 'Housing provided')], default='accepted', max_length=50, protected=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [
                        "DROP INDEX IF EXISTS applications_application_provider_id_c3546c76;",
                        "DROP INDEX IF EXISTS applications_application_queue_list_id_c5156e92;",
                        "DROP INDEX IF EXISTS applications_application_state_839ddcef;",
                        "DROP INDEX IF EXISTS applications_application_state_839ddcef_like;",
                    ],
                    reverse_sql=[
                        "CREATE INDEX applications_application_provider_id_c3546c76 ON applications_application (provider_id);",
                        "CREATE INDEX applications_application_queue_list_id_c5156e92 ON applications_application (queue_list_id);",
                        "CREATE INDEX applications_application_state_839ddcef ON applications_application (state);",
                    ],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['state'], name='application_state'),
        ),
    ]
