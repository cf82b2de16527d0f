from __future__ import annotations

from django import forms

from accounts.named_users import named_users
from accounts.role_choices import RoleChoiceField
from accounts.roles import reach_of
from reports.notifications.models import Frequency, Preference, Subscription


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["digest", "owner_alerts"]
        labels = {"digest": "Digest email", "owner_alerts": "Alerts about my own devices"}
        widgets = {"digest": forms.RadioSelect}
        help_texts = {
            "digest": "Health of the devices you manage, the most stale ones and cold storage "
            "about to expire."
        }

    def __init__(self, *args, with_digest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["digest"].choices = Frequency.choices
        if not with_digest:  # the digest goes to managers and administrators only
            del self.fields["digest"]


class SiteSwitchForm(forms.Form):
    """Shown beside PreferenceForm in one <form>: its field is named apart from the
    personal `owner_alerts`, or ticking one box would set the other."""

    site_owner_alerts = forms.BooleanField(
        required=False,
        label="Send owner alerts to everyone who has not opted out",
        help_text="Off until you turn it on: owners are emailed once when a device enters "
        "warning or critical.",
    )


class SubscriptionForm(forms.ModelForm):
    """A saved view on a schedule. Anyone subscribes themselves; a system administrator
    may instead name people and roles (each recipient gets their own reach)."""

    recipient_usernames = forms.CharField(
        required=False,
        max_length=4000,
        label="Send to people",
        help_text="Usernames, separated by commas.",
    )

    class Meta:
        model = Subscription
        fields = ["frequency", "hour", "format", "with_pdf", "recipient_roles"]
        labels = {"hour": "From hour (UTC)", "recipient_roles": "Send to everyone with a role"}
        # Three frequencies: radios in the form's fieldset, each with its own label (a
        # select there had none: the legend does not name it).
        widgets = {
            "frequency": forms.RadioSelect,
            "recipient_roles": forms.CheckboxSelectMultiple,
        }
        field_classes = {"recipient_roles": RoleChoiceField}

    def __init__(self, *args, user, may_name_others: bool, view=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.view = view
        self.may_name_others = may_name_others
        self.fields["hour"].widget = forms.NumberInput(attrs={"min": 0, "max": 23})
        if not may_name_others:
            del self.fields["recipient_roles"]
            del self.fields["recipient_usernames"]

    def clean_hour(self) -> int:
        hour = self.cleaned_data["hour"]
        if hour is None or not 0 <= hour <= 23:
            raise forms.ValidationError("The hour is a whole number from 0 to 23 (UTC).")
        return hour

    def clean_recipient_usernames(self) -> list:
        people = named_users(self.cleaned_data["recipient_usernames"], reach_of(self.user))
        # Someone without an address was taken and sent nothing, the form saying
        # "Subscribed ... to 0 recipients" (found by an audit): named, within reach.
        unreachable = [person.username for person in people if not person.email]
        if unreachable:
            raise forms.ValidationError(
                f"No email address to send it to: {', '.join(unreachable)}."
            )
        return people

    def clean(self):
        cleaned = super().clean()
        if "recipient_usernames" in self.errors:
            return cleaned  # the names said wrong: their own error, not "name one" too
        if self.may_name_others and not (
            cleaned.get("recipient_roles") or cleaned.get("recipient_usernames")
        ):
            raise forms.ValidationError("Name at least one recipient: a person or a role.")
        if not self.may_name_others and not self.user.email:
            raise forms.ValidationError("Your account has no email address to send it to.")
        if clash := self.clash(cleaned.get("frequency")):
            raise forms.ValidationError(clash)
        return cleaned

    def clash(self, frequency: str | None) -> str | None:
        """One subscription a view and frequency for whoever makes it: a second sent the
        same mail twice a period (found by an audit of the subscriptions). Also asked by
        the page when the database refuses a second saved at the same time."""
        if self.view is None or not frequency:
            return None
        mine = Subscription.objects.filter(
            view=self.view, created_by=self.user, frequency=frequency, active=True
        ).first()
        if mine is None:
            return None
        return (
            f"You already have a {mine.frequency} subscription to "
            f"this view (from {mine.hour:02}:00 UTC): change or end it on the "
            "Subscriptions page rather than send it twice."
        )

    def save_for(self, view) -> Subscription:
        subscription = super().save(commit=False)
        subscription.view = view
        subscription.created_by = self.user
        subscription.save()
        self.save_m2m()
        people = self.cleaned_data["recipient_usernames"] if self.may_name_others else [self.user]
        subscription.recipients.set(people)
        return subscription
