from django.db import migrations


def load(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    DocumentType.objects.update_or_create(
        code="hearing_objection",
        defaults={
            "required_for_all": False,
            "ordering": 90,
            "name_kk": "Тыңдау кезіндегі қарсылықтар",
            "name_ru": "Возражения на заслушивании",
            "name_en": "Objections at the hearing",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("applications", "0004_workflow_records")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
