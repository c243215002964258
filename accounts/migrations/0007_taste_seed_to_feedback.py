# The onboarding taste seeds moved to feedback (feedback.0007 takes over the same table,
# accounts_tasteseed). State only: no row and no table changes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_token_scope_consent"),
        ("feedback", "0007_taste_seed_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TasteSeed")],
            database_operations=[],
        ),
    ]
