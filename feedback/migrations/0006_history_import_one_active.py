from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0005_listening_event_ms_played"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="historyimport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["queued", "running"])),
                fields=("user",),
                name="history_import_one_active",
            ),
        ),
    ]
