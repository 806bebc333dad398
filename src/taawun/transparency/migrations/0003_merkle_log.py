"""The transparency log: the Merkle tree over the audit trail, its signed heads and alarms.

Entries recorded before the log existed get their salt and public hash now, and the tree is
built over them, so the log covers the whole trail from its first entry. The new tables are
append-only like the trail.
"""

import json
import secrets

from django.db import migrations, models

from taawun.domain import merkle
from taawun.verifier import envelope, envelope_leaf

NEW_TABLES = ["transparency_lognode", "transparency_treehead", "transparency_logalarm"]


class _Collected:
    def __init__(self):  # type: ignore[no-untyped-def]
        self.nodes = {}

    def get(self, level, position):  # type: ignore[no-untyped-def]
        return self.nodes[level, position]

    def put(self, nodes):  # type: ignore[no-untyped-def]
        for node in nodes:
            self.nodes[node.level, node.position] = node.digest


def _set_trigger(schema_editor, table, on):  # type: ignore[no-untyped-def]
    name = f"{table.removeprefix('transparency_')}_append_only"
    if table == "transparency_auditentry":
        name = "audit_append_only"
    if schema_editor.connection.vendor == "postgresql":
        action = "ENABLE" if on else "DISABLE"
        schema_editor.execute(f"ALTER TABLE {table} {action} TRIGGER {name}")
    elif on:
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
        )
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def build_log(apps, schema_editor):  # type: ignore[no-untyped-def]
    AuditEntry = apps.get_model("transparency", "AuditEntry")
    LogNode = apps.get_model("transparency", "LogNode")
    store, size = _Collected(), 0
    entries = list(AuditEntry.objects.order_by("seq"))
    # Off and on again even with no entries: SQLite may have rebuilt the table for the new
    # column, and a rebuilt table has lost its trigger.
    _set_trigger(schema_editor, "transparency_auditentry", on=False)
    for entry in entries:
        entry.salt = secrets.token_hex(16)
        public = envelope(json.loads(entry.canonical), entry.canonical, entry.salt)
        entry.digest = public["content"]
        merkle.append(store, size, envelope_leaf(public))
        size += 1
    AuditEntry.objects.bulk_update(entries, ["salt", "digest"], batch_size=500)
    _set_trigger(schema_editor, "transparency_auditentry", on=True)
    LogNode.objects.bulk_create(
        (LogNode(level=level, position=position, digest=digest)
         for (level, position), digest in store.nodes.items()),
        batch_size=1000,
    )


def protect_new_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    for table in NEW_TABLES:
        if schema_editor.connection.vendor == "postgresql":
            name = f"{table.removeprefix('transparency_')}_append_only"
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
            )
        else:
            _set_trigger(schema_editor, table, on=True)


def unprotect_new_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    for table in NEW_TABLES:
        name = f"{table.removeprefix('transparency_')}_append_only"
        suffix = f" ON {table}" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{suffix}")


class Migration(migrations.Migration):

    dependencies = [
        ('transparency', '0002_append_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='LogAlarm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('fork', 'A signed head is not part of the log'), ('tampered', 'An entry no longer matches its leaf')], max_length=16, verbose_name='what')),
                ('detail', models.TextField(verbose_name='detail')),
                ('evidence', models.TextField(blank=True, verbose_name='evidence')),
                ('raised_at', models.DateTimeField(verbose_name='raised at')),
            ],
            options={
                'verbose_name': 'log alarm',
                'verbose_name_plural': 'log alarms',
                'ordering': ['-raised_at'],
            },
        ),
        migrations.CreateModel(
            name='LogNode',
            fields=[
                ('pk', models.CompositePrimaryKey('level', 'position', blank=True, editable=False, primary_key=True, serialize=False)),
                ('level', models.PositiveSmallIntegerField()),
                ('position', models.PositiveBigIntegerField()),
                ('digest', models.BinaryField(max_length=32)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='TreeHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('size', models.PositiveBigIntegerField(unique=True, verbose_name='entries')),
                ('root', models.BinaryField(max_length=32, verbose_name='root hash')),
                ('note', models.TextField(verbose_name='signed checkpoint')),
                ('key', models.CharField(max_length=200, verbose_name='public key')),
                ('signed_at', models.DateTimeField(verbose_name='signed at')),
            ],
            options={
                'verbose_name': 'signed tree head',
                'verbose_name_plural': 'signed tree heads',
                'ordering': ['-size'],
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='salt',
            field=models.CharField(default='', max_length=32, verbose_name='salt'),
        ),
        migrations.RunPython(build_log, migrations.RunPython.noop),
        migrations.RunPython(protect_new_tables, unprotect_new_tables),
    ]
