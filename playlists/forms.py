"""Forms of the playlist pages; the API checks the same rules through the services."""

from __future__ import annotations

from django import forms

from playlists.models import NAME_MAX_LENGTH, PROMPT_MAX_LENGTH, SIZE_MAX, SIZE_MIN, RefreshSchedule
from playlists.services import CHANGE_MAX_LENGTH


class PromptForm(forms.Form):
    prompt = forms.CharField(
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "relaxing evening jazz"}),
        error_messages={
            "required": "Describe the playlist you want, e.g. “relaxing evening jazz”.",
            "max_length": (
                "The prompt is too long (%(show_value)s characters); keep it under %(limit_value)s. "
                "Nothing was cut: shorten it and try again."
            ),
        },
    )
    size = forms.IntegerField(
        min_value=SIZE_MIN,
        max_value=SIZE_MAX,
        required=False,
        help_text="Leave empty to follow the prompt (“20 songs”, “an hour”), else 30.",
    )
    new_only = forms.BooleanField(required=False, label="Only songs I haven't played")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # No maxlength in the page: the browser would cut a long paste silently; the form says
        # the prompt is too long instead.
        self.fields["prompt"].widget.attrs.pop("maxlength", None)


class RefineForm(forms.Form):
    change = forms.CharField(
        max_length=CHANGE_MAX_LENGTH,
        label="Refine",
        widget=forms.TextInput(attrs={"placeholder": "less rap, more upbeat"}),
        error_messages={"required": "Say what to change, e.g. “less rap, more upbeat”."},
    )


class PlaylistSettingsForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Made from what you asked for, and follows each new version until you rename it.",
        error_messages={"required": "A playlist needs a name."},
    )
    refresh = forms.ChoiceField(choices=RefreshSchedule.choices, label="Refresh")
