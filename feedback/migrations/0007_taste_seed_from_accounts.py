# The onboarding taste seeds moved from accounts to feedback (accounts sits below the catalog the
# seeds point into). State only: the table keeps its name, accounts_tasteseed, and its rows.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0006_history_import_one_active"),
        ("accounts", "0006_token_scope_consent"),
        ("catalog", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TasteSeed",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "artist",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="catalog.artist",
                            ),
                        ),
                        (
                            "tag",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="catalog.tag",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="taste_seeds",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_tasteseed",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("artist__isnull", True), ("tag__isnull", False)),
                                    models.Q(("artist__isnull", False), ("tag__isnull", True)),
                                    _connector="OR",
                                ),
                                name="taste_seed_tag_xor_artist",
                            ),
                            models.UniqueConstraint(fields=("user", "tag"), name="taste_seed_unique_tag"),
                            models.UniqueConstraint(fields=("user", "artist"), name="taste_seed_unique_artist"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
