import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, old: str, new: str) -> None:
    # The permissions granted on the model (and admin history) follow it to its new app.
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="exportjob").exists():
        ContentType.objects.filter(app_label=old, model="exportjob").update(app_label=new)


def content_type_to_reporting(apps, schema_editor):
    _move_content_type(apps, "evaluations", "reporting")


def content_type_to_evaluations(apps, schema_editor):
    _move_content_type(apps, "reporting", "evaluations")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('budgets', '0003_auditlog_to_core'),
        ("evaluations", "0008_exportjob_to_reporting"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model moved from evaluations with its table: state only, no table is created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ExportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='申请时间')),
                        ('kind', models.CharField(choices=[('project-self-evaluation', '项目支出绩效自评表'), ('department-self-evaluation', '部门整体支出绩效自评表'), ('basic-data', '部门整体支出绩效评价基础数据表'), ('targets', '绩效目标表'), ('summary', '自评结果汇总表'), ('narrative', '自评综述'), ('bundle', '全部表格（按单位分文件夹）')], max_length=32, verbose_name='表格')),
                        ('format', models.CharField(choices=[('xlsx', 'Excel（XLSX）'), ('pdf', 'PDF')], max_length=8, verbose_name='格式')),
                        ('department_ids', models.JSONField(default=list, verbose_name='单位范围')),
                        ('project_ids', models.JSONField(blank=True, default=list, verbose_name='项目范围')),
                        ('state', models.CharField(choices=[('queued', '排队中'), ('running', '生成中'), ('done', '已完成'), ('failed', '失败')], db_index=True, default='queued', max_length=10, verbose_name='状态')),
                        ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='进度')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='执行次数')),
                        ('heartbeat', models.DateTimeField(blank=True, null=True, verbose_name='最近进展')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='过期时间')),
                        ('fingerprint', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='内容指纹')),
                        ('file', models.FileField(blank=True, upload_to='exports/', verbose_name='文件')),
                        ('filename', models.CharField(blank=True, max_length=200, verbose_name='文件名')),
                        ('error', models.TextField(blank=True, verbose_name='失败原因')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                        ('year', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='budgets.fiscalyear', verbose_name='年度')),
                    ],
                    options={
                        'verbose_name': '导出任务',
                        'verbose_name_plural': '导出任务',
                        'db_table': 'evaluations_exportjob',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='export_progress_max_100')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_reporting, content_type_to_evaluations),
    ]
