"""The reviews' time index becomes (reviewed_at, id): the order of every review list
(newest first, then by id) and, on PostgreSQL, an index-only range of a month's review ids,
which the department KPIs join to their cases (a scan of the whole table before). SQLite's
indexes carry the row id already, so there it changes nothing but the name. The old index is
dropped by name, so SQLite does not rebuild the table, which would drop its search triggers."""

from django.db import migrations, models

OLD = "reviews_review_reviewed_at_e377af3a"


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0009_review_no_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="review",
                    name="reviewed_at",
                    field=models.DateTimeField(verbose_name="reviewed"),
                ),
                migrations.AddIndex(
                    model_name="review",
                    index=models.Index(fields=["reviewed_at", "id"], name="review_time"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{OLD}"',
                     'CREATE INDEX "review_time" ON "reviews_review" ("reviewed_at", "id")'],
                    ['DROP INDEX IF EXISTS "review_time"',
                     f'CREATE INDEX "{OLD}" ON "reviews_review" ("reviewed_at")'],
                ),
            ],
        ),
    ]
