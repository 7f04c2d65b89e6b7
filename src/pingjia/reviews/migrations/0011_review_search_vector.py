"""On PostgreSQL each review's search terms are kept as a stored tsvector, `search_vector`,
generated from `search_text`, with a GIN index on it in place of 0007's index on the
expression `to_tsvector('simple', search_text)`. A review list searched within a sentiment
walks its time index newest first and checks each review until a page of matches is found;
with the expression, each check parsed the review's text again (about 0.08 ms a review, 1–1.4
s for such a search at a million reviews, against 15–30 ms with the stored vector). The
vector is stripped of positions, which nothing reads (`plainto_tsquery` joins its terms with
AND): a third smaller.

The model does not know the column: PostgreSQL computes it on every INSERT and UPDATE, and
Django's inserts (and the import's COPY) name their columns, so they never write it. Nothing
runs on SQLite, which keeps its FTS5 table and triggers (0007) and does not rebuild the table.
Adding the column rewrites the table under an exclusive lock (4.5 minutes for a million
reviews on a busy 2-core machine, the table 570 MB before and 1.07 GB after); a later change
of `search_text`'s type must drop the column first."""

from typing import Any

from django.db import migrations

FORWARDS = [
    "ALTER TABLE reviews_review ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (strip(to_tsvector('simple', search_text))) STORED",
    "CREATE INDEX review_search_vector ON reviews_review USING GIN (search_vector)",
    "DROP INDEX IF EXISTS review_search_gin",
    # The planner's statistics of the new column (how common each term is), which the
    # rewrite does not count as changes that would make autovacuum gather them.
    "ANALYZE reviews_review",
]
BACKWARDS = [
    "CREATE INDEX review_search_gin ON reviews_review "
    "USING GIN (to_tsvector('simple', search_text))",
    "ALTER TABLE reviews_review DROP COLUMN search_vector",  # and its index
]


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_review_time_index")]
    operations = [migrations.RunPython(forwards, backwards)]
