import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, old: str, new: str) -> None:
    # The permissions granted on the audit log (and admin history) follow it to its new app.
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="auditlog").exists():
        ContentType.objects.filter(app_label=old, model="auditlog").update(app_label=new)


def content_type_to_core(apps, schema_editor):
    _move_content_type(apps, "budgets", "core")


def content_type_to_budgets(apps, schema_editor):
    _move_content_type(apps, "core", "budgets")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('budgets', '0003_auditlog_to_core'),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model moved from budgets with its table: state only, no table is created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                        ('action', models.CharField(max_length=64, verbose_name='操作')),
                        ('object_type', models.CharField(max_length=64, verbose_name='对象类型')),
                        ('object_id', models.CharField(max_length=64, verbose_name='对象编号')),
                        ('object_repr', models.CharField(blank=True, max_length=300, verbose_name='对象')),
                        ('changes', models.JSONField(blank=True, default=dict, verbose_name='变更内容')),
                        ('reason', models.TextField(blank=True, verbose_name='说明')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='budgets.department', verbose_name='单位')),
                    ],
                    options={
                        'verbose_name': '操作记录',
                        'verbose_name_plural': '操作记录',
                        'db_table': 'budgets_auditlog',
                        'ordering': ['-at', '-id'],
                        'indexes': [models.Index(fields=['object_type', 'object_id'], name='budgets_aud_object__784edb_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_core, content_type_to_budgets),
    ]
