"""Database triggers that make the audit trail append-only.

Updates are refused on every backend. Deletes are refused on PostgreSQL; SQLite's test flush
empties tables with DELETE, so there the model layer alone refuses deletes.
"""

from django.db import migrations


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE ON transparency_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;"
        )
        schema_editor.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON transparency_auditentry "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
        )


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_append_only" + (
        " ON transparency_auditentry" if vendor == "postgresql" else ""
    ))
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
