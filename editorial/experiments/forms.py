"""Forms of the experiments panel: an experiment and up to three variants (the first is the control)."""

from __future__ import annotations

from typing import Any

from django import forms

from editorial.experiments.models import ExperimentMetric
from playlists.engine.scoring import COMPONENTS, Weights

VARIANT_PREFIXES = ("a", "b", "c")
FAIRNESS_DAYS, FAIRNESS_MAX_DAYS = 30, 365
CONFIDENCE_CHOICES = [("0.9", "90%"), ("0.95", "95%"), ("0.99", "99%")]


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    primary_metric = forms.ChoiceField(choices=ExperimentMetric.choices, initial=ExperimentMetric.SKIP_RATE)
    confidence = forms.TypedChoiceField(choices=CONFIDENCE_CHOICES, coerce=float, initial="0.95")
    horizon = forms.IntegerField(
        min_value=2,
        max_value=1_000_000,
        initial=200,
        help_text="Playlists per variant before the verdict is read. Fixed now: no peeking.",
    )


class VariantForm(forms.Form):
    name = forms.CharField(max_length=40, required=False)
    traffic = forms.IntegerField(min_value=1, max_value=100, initial=50)
    policy = forms.CharField(max_length=40, required=False)
    diversity = forms.FloatField(min_value=0, max_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = Weights().to_dict()
        for component in COMPONENTS:
            self.fields[f"w_{component}"] = forms.FloatField(
                required=False,
                min_value=0,
                max_value=10,
                label=component,
                help_text=f"default {defaults[component]:g}",
            )

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"w_{component}"] for component in COMPONENTS]

    def to_variant(self) -> dict[str, Any] | None:
        """The variant as experiment_create takes it; None when left empty (no name)."""
        data = self.cleaned_data
        if not data.get("name"):
            return None
        weights = {c: data[f"w_{c}"] for c in COMPONENTS if data.get(f"w_{c}") is not None}
        return {
            "name": data["name"],
            "traffic": data["traffic"],
            "policy": data.get("policy") or "",
            "diversity": data.get("diversity"),
            "weights": weights,
        }


def variant_forms(data: Any = None) -> list[VariantForm]:
    initial = [{"name": "A (control)"}, {"name": "B"}, {}]
    return [
        VariantForm(data, prefix=prefix, initial=values)
        for prefix, values in zip(VARIANT_PREFIXES, initial, strict=True)
    ]


def fairness_days(value: str | None) -> int:
    """The fairness window asked for (page or API), held to 1..FAIRNESS_MAX_DAYS; 30 when unreadable."""
    try:
        return max(1, min(int(value if value is not None else FAIRNESS_DAYS), FAIRNESS_MAX_DAYS))
    except ValueError:
        return FAIRNESS_DAYS
