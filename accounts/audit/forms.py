"""The audit log's filters, one grammar for the page, its CSV and the JSON resource:
who (a username, or part of one), what (an event kind), when (from and to, UTC days
inclusive), from where (an address, or the start of one)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet

from accounts.audit.kinds import KINDS
from accounts.audit.models import Event


class UtcDayField(forms.DateField):
    """A UTC day, YYYY-MM-DD. A value that is no day is named in its error: the page's
    date field drops what it cannot read, and the page said "Enter a valid date" beside
    an empty field (found by an audit of the pages)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            shown = str(value)[:40]
            raise forms.ValidationError(
                f"“{shown}” is not a day; give it as YYYY-MM-DD.", code="invalid"
            ) from None


class EventFilter(forms.Form):
    who = forms.CharField(required=False, max_length=150, label="Who")
    what = forms.ChoiceField(
        required=False, label="What", choices=[("", "Anything"), *KINDS.items()]
    )
    since = UtcDayField(required=False, label="From (UTC day)")
    until = UtcDayField(required=False, label="To (UTC day)")
    where = forms.CharField(required=False, max_length=45, label="From where (address)")

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("“From” is after “To”.")
        return data

    def problems_by_parameter(self) -> dict[str, str]:
        """Each error by the query parameter it is about (the API's 400); the range's
        own ("From" after "To") by `until`."""
        return {
            "until" if name == NON_FIELD_ERRORS else name: " ".join(messages)
            for name, messages in self.errors.items()
        }

    def events(self, events: QuerySet[Event] | None = None) -> QuerySet[Event]:
        """The events the (valid) filters match."""
        events = Event.objects.all() if events is None else events
        data = self.cleaned_data
        if data.get("who"):
            events = events.filter(actor__icontains=data["who"])
        if data.get("what"):
            events = events.filter(kind=data["what"])
        if data.get("since"):
            events = events.filter(at__gte=_day_start(data["since"]))
        if data.get("until") and data["until"] < dt.date.max:  # the last day has no next
            events = events.filter(at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
        if data.get("where"):
            events = events.filter(address__startswith=data["where"])
        return events

    def problems(self) -> list[str]:
        """Each error, naming the field it is about."""
        return [
            f"{self.fields[name].label if name in self.fields else 'filters'}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
