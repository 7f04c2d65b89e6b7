"""Full-text index of Review.search_text (see pingjia.reviews.search): FTS5 on SQLite, kept in
step by triggers; a GIN index on a `simple` tsvector on PostgreSQL."""

from typing import Any

from django.db import migrations

SQL = {
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE reviews_review_fts USING fts5(search_text, "
            "content='reviews_review', content_rowid='id')",
            "CREATE TRIGGER reviews_review_fts_insert AFTER INSERT ON reviews_review BEGIN "
            "INSERT INTO reviews_review_fts(rowid, search_text) VALUES (new.id, new.search_text); "
            "END",
            "CREATE TRIGGER reviews_review_fts_delete AFTER DELETE ON reviews_review BEGIN "
            "INSERT INTO reviews_review_fts(reviews_review_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END",
            "CREATE TRIGGER reviews_review_fts_update AFTER UPDATE OF search_text "
            "ON reviews_review BEGIN "
            "INSERT INTO reviews_review_fts(reviews_review_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO reviews_review_fts(rowid, search_text) VALUES (new.id, new.search_text); "
            "END",
            "INSERT INTO reviews_review_fts(reviews_review_fts) VALUES ('rebuild')",
        ],
        [
            "DROP TRIGGER IF EXISTS reviews_review_fts_insert",
            "DROP TRIGGER IF EXISTS reviews_review_fts_delete",
            "DROP TRIGGER IF EXISTS reviews_review_fts_update",
            "DROP TABLE IF EXISTS reviews_review_fts",
        ],
    ),
    "postgresql": (
        ["CREATE INDEX review_search_gin ON reviews_review "
         "USING GIN (to_tsvector('simple', search_text))"],
        ["DROP INDEX IF EXISTS review_search_gin"],
    ),
}


def forwards(apps: Any, schema_editor: Any) -> None:
    for statement in SQL.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    for statement in SQL.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0006_review_search_text")]
    operations = [migrations.RunPython(forwards, backwards)]
