"""The database itself refuses to change an audit entry, whatever code runs against it."""

from typing import Any

from django.db import migrations

SQL = {
    "sqlite": (
        ["CREATE TRIGGER accounts_auditentry_append_only BEFORE UPDATE ON accounts_auditentry "
         "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"],
        ["DROP TRIGGER IF EXISTS accounts_auditentry_append_only;"],
    ),
    "postgresql": (
        ["CREATE OR REPLACE FUNCTION pingjia_append_only() RETURNS trigger LANGUAGE plpgsql AS "
         "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;",
         "CREATE TRIGGER accounts_auditentry_append_only BEFORE UPDATE ON accounts_auditentry "
         "FOR EACH ROW EXECUTE FUNCTION pingjia_append_only();"],
        ["DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON accounts_auditentry;",
         "DROP FUNCTION IF EXISTS pingjia_append_only();"],
    ),
}


def _run(schema_editor: Any, index: int) -> None:
    for statement in SQL.get(schema_editor.connection.vendor, ([], []))[index]:
        schema_editor.execute(statement)


def forwards(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, 0)


def backwards(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
