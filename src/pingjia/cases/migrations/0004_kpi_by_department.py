"""Rounds carry their lead department; the KPI indexes lead with the department."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_issue_audit_actions'),
        ('cases', '0003_kpi_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='caseround',
            name='case_round_due',
        ),
        migrations.RemoveIndex(
            model_name='caseround',
            name='case_round_rectified',
        ),
        migrations.RemoveIndex(
            model_name='caseround',
            name='case_round_followed_up',
        ),
        migrations.RemoveIndex(
            model_name='caseround',
            name='case_round_started',
        ),
        migrations.RemoveIndex(
            model_name='casestage',
            name='case_stage_dept',
        ),
        migrations.RemoveIndex(
            model_name='casestage',
            name='case_stage_due',
        ),
        migrations.RemoveIndex(
            model_name='casestage',
            name='case_stage_left',
        ),
        migrations.AddField(
            model_name='caseround',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.department', verbose_name='lead department'),
        ),
        # Every round so far was led by its case's lead department.
        migrations.RunSQL(
            "UPDATE cases_caseround SET department_id = (SELECT lead_department_id"
            " FROM cases_case WHERE cases_case.id = cases_caseround.case_id)",
            migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='caseround',
            index=models.Index(fields=['department', 'rectify_due_at', 'rectified_at', 'case'], name='case_round_due'),
        ),
        migrations.AddIndex(
            model_name='caseround',
            index=models.Index(fields=['department', 'rectified_at', 'rejections', 'case'], name='case_round_rectified'),
        ),
        migrations.AddIndex(
            model_name='caseround',
            index=models.Index(fields=['department', 'followed_up_at', 'verdict', 'case'], name='case_round_followed_up'),
        ),
        migrations.AddIndex(
            model_name='caseround',
            index=models.Index(fields=['department', 'started_at', 'number', 'case'], name='case_round_started'),
        ),
        migrations.AddIndex(
            model_name='casestage',
            index=models.Index(fields=['department', 'due_at', 'overdue', 'case'], name='case_stage_due'),
        ),
        migrations.AddIndex(
            model_name='casestage',
            index=models.Index(fields=['department', 'state', 'left_at', 'entered_at', 'case'], name='case_stage_left'),
        ),
    ]
