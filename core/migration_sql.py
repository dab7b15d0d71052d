"""Vendor-specific SQL for migrations that install triggers (PostgreSQL in production, SQLite for the demo)."""


def run_for_vendor(schema_editor, *, postgresql: list[str], sqlite: list[str]) -> None:
    statements = postgresql if schema_editor.connection.vendor == "postgresql" else sqlite
    for sql in statements:
        schema_editor.execute(sql, params=None)  # no parameters: '%' in PL/pgSQL must stay literal


def vendor_operation(*, postgresql: list[str], sqlite: list[str], postgresql_reverse: list[str], sqlite_reverse: list[str]):
    from django.db import migrations

    return migrations.RunPython(
        lambda apps, editor: run_for_vendor(editor, postgresql=postgresql, sqlite=sqlite),
        lambda apps, editor: run_for_vendor(editor, postgresql=postgresql_reverse, sqlite=sqlite_reverse),
    )
