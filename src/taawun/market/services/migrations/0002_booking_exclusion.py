"""On PostgreSQL, two live bookings of one worker can never overlap: an exclusion constraint over
the booked time range, for rows that still hold the worker's time. SQLite has no such
constraint; there the actions' check (serialised by the worker's row lock elsewhere) suffices."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

ADD_CONSTRAINT = (
    "ALTER TABLE market_services_booking ADD CONSTRAINT booking_worker_time_never_overlaps "
    "EXCLUDE USING gist (worker_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (active)"
)
DROP_CONSTRAINT = (
    "ALTER TABLE market_services_booking DROP CONSTRAINT IF EXISTS "
    "booking_worker_time_never_overlaps"
)


def add_exclusion(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(ADD_CONSTRAINT)


def drop_exclusion(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_CONSTRAINT)


class Migration(migrations.Migration):
    dependencies = [("market_services", "0001_initial")]

    operations = [migrations.RunPython(add_exclusion, drop_exclusion, elidable=False)]
