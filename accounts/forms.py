"""Forms of the account pages: sign-up, consent answers, tokens, account deletion."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.consent import PURPOSE_DESCRIPTIONS
from accounts.lockout import PasswordLockedOut, password_verify
from accounts.models import ConsentPurpose, TokenScope, User

YES_NO = (("yes", "Yes"), ("no", "No"))


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(max_length=150, required=False, label="Name (optional)")
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # Whether the address has an account is never said here (sign-up would reveal who uses
        # Segue): the confirmation e-mail tells its owner.
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(email=cleaned.get("email", ""), display_name=cleaned.get("display_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ConsentForm(forms.Form):
    """One required yes/no question per purpose, in plain language; nothing is pre-selected."""

    def __init__(
        self, *args: Any, initial_state: dict[str, bool | None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for purpose in ConsentPurpose:
            answer = (initial_state or {}).get(purpose)
            self.fields[purpose.value] = forms.ChoiceField(
                label=PURPOSE_DESCRIPTIONS[purpose],
                choices=YES_NO,
                widget=forms.RadioSelect,
                initial=None if answer is None else ("yes" if answer else "no"),
                error_messages={"required": "Please answer yes or no."},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        known = {*ConsentPurpose.values, "csrfmiddlewaretoken", "next", "onboarding"}
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise forms.ValidationError(f"Unknown consent purpose: {', '.join(unknown)}.")
        return cleaned

    def choices(self) -> dict[str, bool]:
        return {purpose: self.cleaned_data[purpose] == "yes" for purpose in ConsentPurpose.values}


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “my scrobbler”.")
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[TokenScope.READ],
        help_text="read: fetch your data; write: change it; feedback: send listening events.",
        error_messages={"required": "Choose at least one scope."},
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your password, to confirm it is you.",
    )
    confirm = forms.BooleanField(
        label="I understand my account and all my data will be erased and cannot be restored.",
        error_messages={"required": "Tick the box to confirm."},
    )


class LockoutPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password checked under the login lockout."""

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = str(self.cleaned_data["old_password"])
        try:
            right = password_verify(request=self.request, user=self.user, password=old_password)
        except PasswordLockedOut as exc:
            raise ValidationError(exc.message, code="locked_out") from exc
        if not right:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
