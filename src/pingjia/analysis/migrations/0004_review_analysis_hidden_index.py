"""A partial index of the hidden complaints (好评差评): about one review in a hundred, so the
list filtered by them starts from a few thousand rows, not from every analysis."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_recurring_issues")]

    operations = [
        migrations.AddIndex(
            model_name="reviewanalysis",
            index=models.Index(condition=models.Q(("hidden_complaint", True)), fields=["review"],
                               name="review_analysis_hidden"),
        ),
    ]
