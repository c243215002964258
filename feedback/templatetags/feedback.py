from typing import Any

from django import template

from accounts.consent import consent_allows
from accounts.models import ConsentPurpose

register = template.Library()


@register.simple_tag
def listening_allowed(user: Any) -> bool:
    """Whether the player may send events for this listener (asked once per request)."""
    cached = getattr(user, "_feedback_listening_allowed", None)
    if cached is None:
        cached = consent_allows(user, ConsentPurpose.LISTENING_HISTORY)
        if getattr(user, "is_authenticated", False):
            user._feedback_listening_allowed = cached
    return cached
