from django.db import migrations
from django.utils import timezone

from accounts.policy_text import INITIAL_TEXT, INITIAL_VERSION

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION accounts_consentrecord_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the consent ledger is append-only: consent records cannot be updated';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_consentrecord_no_update
    BEFORE UPDATE ON accounts_consentrecord
    FOR EACH ROW EXECUTE FUNCTION accounts_consentrecord_append_only();
"""

DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS accounts_consentrecord_no_update ON accounts_consentrecord;
DROP FUNCTION IF EXISTS accounts_consentrecord_append_only();
"""


def publish_initial_policy(apps, schema_editor):
    PolicyVersion = apps.get_model("accounts", "PolicyVersion")
    PolicyVersion.objects.get_or_create(
        version=INITIAL_VERSION, defaults={"text": INITIAL_TEXT, "published_at": timezone.now()}
    )


def unpublish_initial_policy(apps, schema_editor):
    apps.get_model("accounts", "PolicyVersion").objects.filter(
        version=INITIAL_VERSION, consent_records__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_consent_tokens_exports")]
    operations = [
        migrations.RunPython(publish_initial_policy, unpublish_initial_policy),
        migrations.RunSQL(APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL),
    ]
