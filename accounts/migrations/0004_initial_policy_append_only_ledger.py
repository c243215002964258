from django.db import migrations
from django.utils import timezone

INITIAL_VERSION = "2026-11"
INITIAL_TEXT = """Segue privacy policy, version 2026-11.

Segue stores your account (e-mail, optional name, password hash) to let you log in.
With your consent, and only for the purposes you choose:
- personalization: your listening history and the genres/artists you pick shape your playlists;
- listening history: your plays, skips, likes and imported history are stored;
- experiments: you may be placed in A/B tests of recommendation methods, under a pseudonym.
You can withdraw any consent at any time on your privacy page; it takes effect immediately.
You can download all your data, and delete your account with all your data.
Raw listening events are kept for a limited time (EVENT_RETENTION_DAYS), then aggregated into
anonymous counts and deleted.
"""

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
