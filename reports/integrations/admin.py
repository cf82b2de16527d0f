"""The webhook endpoints and the delivery log, in the admin that only system
administrators enter (accounts.admin_site; their group holds these permissions,
accounts.apps.SYSADMIN_APP_LABELS)."""

from django import forms
from django.contrib import admin
from django.db import models

from reports.admin import ReadOnlyAdmin
from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    # The events as boxes to tick, not JSON to type (models.validate_events still holds).
    events = forms.TypedMultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=WebhookEndpoint._meta.get_field("events").help_text,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "org", "events", "secret", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "kind", "org", "events", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["org"]
    show_full_result_count = False
    # A URL typed without a scheme is taken as https (Django 6's default, already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log."""

    list_display = [
        "created_at",
        "endpoint",
        "event",
        "state",
        "attempts",
        "last_status",
        "delivered_at",
    ]
    list_filter = ["state", "event", "endpoint"]
    search_fields = ["key", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    show_full_result_count = False
