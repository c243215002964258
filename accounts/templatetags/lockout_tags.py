from datetime import timedelta

from django import template

from accounts.lockout import duration_words

register = template.Library()


@register.filter(name="duration_words")
def duration_words_filter(value: object) -> str:
    """A cool-off as people say it ("15 minutes"); anything but a timedelta gives ""."""
    return duration_words(value) if isinstance(value, timedelta) else ""
