from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from accounts.models import Invitation, Role, User, Workspace
from accounts.throttle import (
    client_ip,
    login_failure_record,
    login_failures_clear,
    login_throttled,
)


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="Used only to reset your password.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed log-in attempts. Wait a few minutes and try again.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if login_throttled(username=username, ip=ip):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_record(username=username, ip=ip)
            raise
        login_failures_clear(username=username)
        return cleaned


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ("name",)
        labels = {"name": "Workspace name"}


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)
    days = forms.TypedChoiceField(
        label="Expires after", choices=Invitation.EXPIRY_CHOICES, coerce=int, initial=7
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
