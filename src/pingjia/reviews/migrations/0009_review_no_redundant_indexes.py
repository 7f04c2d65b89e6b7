"""The reviews table loses the indexes Django made for the channel and store foreign keys: the
unique (channel, identity), (channel, reviewed_at) and (store, reviewed_at) indexes start with
these columns and answer the same look-ups, while every index is paid for on each insert of an
import. Only the indexes are dropped, by name (the same on SQLite and PostgreSQL), so SQLite
does not rebuild the table, which would drop its search triggers."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {"reviews_review_channel_id_875a81ad": "channel_id",
           "reviews_review_store_id_1b64755a": "store_id"}


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0008_review_source_hash"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="review",
                    name="channel",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="reviews", to="reviews.channel",
                                            verbose_name="channel"),
                ),
                migrations.AlterField(
                    model_name="review",
                    name="store",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="reviews", to="accounts.store",
                                            verbose_name="store"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES],
                    [f'CREATE INDEX "{name}" ON "reviews_review" ("{column}")'
                     for name, column in INDEXES.items()],
                ),
            ],
        ),
    ]
