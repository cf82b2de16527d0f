from __future__ import annotations

from django import forms

from reports.notifications.models import Frequency, Preference


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
