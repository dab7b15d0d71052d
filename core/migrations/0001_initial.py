from django.db import migrations, models


def create_sequences(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from core.sequences import create_sequences_sql

    for sql in create_sequences_sql():
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SequenceCounter",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_sequences, migrations.RunPython.noop),
    ]
