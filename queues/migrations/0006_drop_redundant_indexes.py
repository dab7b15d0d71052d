"""Drop indexes nobody reads: the single-column indexes of QueueEvent.entry and .queue_list (each leads an index
of the model: queue_event_entry, queue_event_seq_unique) and the LIKE-pattern copy PostgreSQL built for the unique
`hash` (about 250 MB at a million places); the hash stays unique through the constraint queue_event_hash_unique.

Django's own AlterField/AddConstraint would rebuild the table on SQLite, losing the append-only trigger (0003), so
the field changes are state-only: on SQLite only the two FK indexes go (the hash keeps its unique index there).
"""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_sql import vendor_operation

HASH_PG = [
    "ALTER TABLE queues_queueevent DROP CONSTRAINT IF EXISTS queues_queueevent_hash_key;",
    "DROP INDEX IF EXISTS queues_queueevent_hash_c2fc70be_like;",
    "ALTER TABLE queues_queueevent ADD CONSTRAINT queue_event_hash_unique UNIQUE (hash);",
]
HASH_PG_REVERSE = [
    "ALTER TABLE queues_queueevent DROP CONSTRAINT IF EXISTS queue_event_hash_unique;",
    "ALTER TABLE queues_queueevent ADD CONSTRAINT queues_queueevent_hash_key UNIQUE (hash);",
]


class Migration(migrations.Migration):

    dependencies = [
        ('queues', '0005_removal_successor_contacts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='queueevent',
                    name='entry',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='queues.queueentry'),
                ),
                migrations.AlterField(
                    model_name='queueevent',
                    name='hash',
                    field=models.CharField(max_length=64),
                ),
                migrations.AlterField(
                    model_name='queueevent',
                    name='queue_list',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='queues.queuelist'),
                ),
                migrations.AddConstraint(
                    model_name='queueevent',
                    constraint=models.UniqueConstraint(fields=('hash',), name='queue_event_hash_unique'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [
                        "DROP INDEX IF EXISTS queues_queueevent_entry_id_0099c594;",
                        "DROP INDEX IF EXISTS queues_queueevent_queue_list_id_a33ba864;",
                    ],
                    reverse_sql=[
                        "CREATE INDEX queues_queueevent_entry_id_0099c594 ON queues_queueevent (entry_id);",
                        "CREATE INDEX queues_queueevent_queue_list_id_a33ba864 ON queues_queueevent (queue_list_id);",
                    ],
                ),
                vendor_operation(postgresql=HASH_PG, sqlite=[], postgresql_reverse=HASH_PG_REVERSE, sqlite_reverse=[]),
            ],
        ),
    ]
