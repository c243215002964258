"""Forms of the playlist pages; the API checks the same rules through the services."""

from __future__ import annotations

from django import forms

from playlists.models import NAME_MAX_LENGTH, PROMPT_MAX_LENGTH, SIZE_MAX, SIZE_MIN, RefreshSchedule
from playlists.services import CHANGE_MAX_LENGTH


class UncutCharField(forms.CharField):
    """A length-limited text field without the HTML ``maxlength``: a browser would cut a pasted
    text at the limit without a word, where the server answers with an error instead."""

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class PromptForm(forms.Form):
    prompt = UncutCharField(
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "relaxing evening jazz"}),
        error_messages={
            "required": "Describe the playlist you want, e.g. “relaxing evening jazz”.",
            "max_length": "Keep the prompt under %(limit_value)s characters (it has %(show_value)s); "
            "nothing was cut, shorten it and try again.",
        },
    )
    size = forms.IntegerField(
        min_value=SIZE_MIN,
        max_value=SIZE_MAX,
        required=False,
        help_text="Leave empty to follow the prompt (“20 songs”, “an hour”), else 30.",
    )
    new_only = forms.BooleanField(required=False, label="Only songs I haven't played")


class RefineForm(forms.Form):
    change = UncutCharField(
        max_length=CHANGE_MAX_LENGTH,
        label="Refine",
        widget=forms.TextInput(attrs={"placeholder": "less rap, more upbeat"}),
        error_messages={"required": "Say what to change, e.g. “less rap, more upbeat”."},
    )


class PlaylistSettingsForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    refresh = forms.ChoiceField(choices=RefreshSchedule.choices, label="Refresh")
