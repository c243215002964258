"""Template helpers for the privacy pages: plain words for kinds of data, and real numbers (from
the settings' values) wherever a policy or page would otherwise name a setting."""

from __future__ import annotations

from django import template
from django.conf import settings

from accounts import privacy_words

register = template.Library()


@register.filter
def data_kind_sentence(model_label: str) -> str:
    """The sentence for a kind of data (``app.model``), empty for a kind without one."""
    return privacy_words.DATA_KINDS[model_label].sentence if model_label in privacy_words.DATA_KINDS else ""


@register.filter
def policy_for_reading(text: str) -> str:
    values = {
        name: getattr(settings, name)
        for name in privacy_words.POLICY_SETTING_WORDS
        if hasattr(settings, name)
    }
    return privacy_words.policy_for_reading(text, values)


@register.simple_tag
def retention_sentences() -> list[str]:
    return privacy_words.retention_sentences(
        event_retention_days=settings.EVENT_RETENTION_DAYS, export_ttl_hours=settings.DATA_EXPORT_TTL_HOURS
    )
