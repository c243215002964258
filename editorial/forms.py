"""Forms of the desk's pages; the services check the domain rules with their own messages."""

from __future__ import annotations

from django import forms

from editorial.models import REASON_MAX_LENGTH, THEME_NAME_MAX_LENGTH, Verdict

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ThemeForm(forms.Form):
    # Not required here: the service answers an empty name with its own, clearer message.
    name = forms.CharField(max_length=THEME_NAME_MAX_LENGTH, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    example_prompts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="One prompt a line."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def examples(self) -> list[str]:
        return [line for line in self.cleaned_data["example_prompts"].splitlines() if line.strip()]


class PinForm(forms.Form):
    track_id = forms.IntegerField(min_value=1, label="Track id")
    position = forms.IntegerField(min_value=1, max_value=200, initial=1, help_text="1 is the first track.")
    starts_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, help_text="Empty: now.")
    ends_at = forms.DateTimeField(required=False, widget=DATETIME_WIDGET, help_text="Empty: until unpinned.")


class BlockForm(forms.Form):
    track_id = forms.IntegerField(min_value=1, required=False, label="Track id")
    artist_id = forms.IntegerField(min_value=1, required=False, label="Artist id")
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, required=False)


class BoostForm(forms.Form):
    artist_id = forms.IntegerField(min_value=1, label="Artist id")
    note = forms.CharField(max_length=REASON_MAX_LENGTH, required=False)


class DecisionForm(forms.Form):
    track_id = forms.IntegerField(min_value=1)
    verdict = forms.ChoiceField(choices=Verdict.choices)


class EditorialPlaylistForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    prompt = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PlaylistEditForm(forms.Form):
    """One hand edit: which revision it was made on, and the track and position it concerns."""

    revision = forms.IntegerField(min_value=1)
    track_id = forms.IntegerField(min_value=1, required=False)
    position = forms.IntegerField(min_value=1, required=False)
    name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(required=False)


class ReportForm(forms.Form):
    track_id = forms.IntegerField(min_value=1, required=False)
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, required=False)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="Curator e-mail")
    action = forms.CharField(required=False)
    target_type = forms.CharField(required=False, label="Object")
    days = forms.IntegerField(min_value=1, max_value=3650, required=False, label="Last days")
