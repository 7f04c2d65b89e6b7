"""Rounds carry their case's store and category, for the KPIs' repeat matching."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_issue_audit_actions'),
        ('analysis', '0003_recurring_issues'),
        ('cases', '0004_kpi_by_department'),
    ]

    operations = [
        migrations.AddField(
            model_name='caseround',
            name='category',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='analysis.category', verbose_name='category'),
        ),
        migrations.AddField(
            model_name='caseround',
            name='store',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.store', verbose_name='store'),
        ),
        migrations.RunSQL(
            "UPDATE cases_caseround SET store_id = (SELECT store_id FROM cases_case"
            " WHERE cases_case.id = cases_caseround.case_id), category_id = (SELECT category_id"
            " FROM cases_case WHERE cases_case.id = cases_caseround.case_id)",
            migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='caseround',
            index=models.Index(fields=['department', 'store', 'category', 'rectified_at', 'case'], name='case_round_repeat'),
        ),
    ]
