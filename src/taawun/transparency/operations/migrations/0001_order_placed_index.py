"""An index on when orders were placed, by sector, for the operations room.

The room counts the orders of the last twelve weeks: with this index the database reads only
those rows' index entries (an index-only scan on PostgreSQL), however many older orders there
are. The orders table belongs to the market; this index is the room's own, so it is added (and
dropped) here by its name and leaves the market's models untouched.
"""

from django.db import migrations

INDEX = "transparency_ops_order_placed"


class Migration(migrations.Migration):
    dependencies = [("market", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON market_order (created_at, sector)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
