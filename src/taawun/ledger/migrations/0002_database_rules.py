"""The books' rules, held by the database as well as by the actions.

- Journal entries and postings are append-only: updates refused on both backends, deletes on
  PostgreSQL (SQLite's test flush empties tables with DELETE, so there the model layer refuses).
- PostgreSQL: a deferred constraint trigger checks at commit that every entry's postings sum to
  zero in each currency, and that a posting's currency is its account's. SQLite has no deferred
  triggers; there the action checks the balance before it writes.
- No entry is written into a closed period (both backends).
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the books are append-only: correct with a reversing entry'; END $$;
    """,
    """
    CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    """,
    """
    CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    """,
    """
    CREATE FUNCTION ledger_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE unbalanced text;
    BEGIN
      IF (SELECT currency FROM ledger_account WHERE id = NEW.account_id) <> NEW.currency THEN
        RAISE EXCEPTION 'posting currency differs from its account''s';
      END IF;
      -- Sum the entry once, at its last posting: an entry of n lines costs n index look-ups
      -- and one sum, not n sums (a closing credits thousands of members in one entry).
      IF NEW.id <> (SELECT MAX(id) FROM ledger_posting WHERE entry_id = NEW.entry_id) THEN
        RETURN NULL;
      END IF;
      SELECT currency INTO unbalanced FROM ledger_posting WHERE entry_id = NEW.entry_id
        GROUP BY currency HAVING SUM(amount) <> 0 LIMIT 1;
      IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance in %', NEW.entry_id, unbalanced;
      END IF;
      RETURN NULL;
    END $$;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_entry_balances AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances();
    """,
    """
    CREATE FUNCTION ledger_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT status FROM ledger_period WHERE id = NEW.period_id) <> 'open' THEN
        RAISE EXCEPTION 'the period is closed';
      END IF;
      RETURN NEW;
    END $$;
    """,
    """
    CREATE TRIGGER ledger_period_open BEFORE INSERT ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_period_open();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS ledger_period_open ON ledger_journalentry",
    "DROP FUNCTION IF EXISTS ledger_period_open()",
    "DROP TRIGGER IF EXISTS ledger_entry_balances ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_entry_balances()",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_journalentry",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
]
SQLITE = [
    "CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE ON ledger_journalentry BEGIN "
    "SELECT RAISE(ABORT, 'the books are append-only: correct with a reversing entry'); END;",
    "CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE ON ledger_posting BEGIN "
    "SELECT RAISE(ABORT, 'the books are append-only: correct with a reversing entry'); END;",
    "CREATE TRIGGER ledger_period_open BEFORE INSERT ON ledger_journalentry "
    "WHEN (SELECT status FROM ledger_period WHERE id = NEW.period_id) <> 'open' BEGIN "
    "SELECT RAISE(ABORT, 'the period is closed'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_period_open",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only",
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(statement, params=None)  # no placeholders: keep plpgsql's "%"


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in (
        POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
