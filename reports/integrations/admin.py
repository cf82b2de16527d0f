"""The webhook endpoints and the delivery log, in the admin that only system
administrators enter (accounts.admin_site; their group holds these permissions,
accounts.apps.SYSADMIN_APP_LABELS)."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.text import Truncator

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
    list_display = ["name", "kind", "org", "events", "active", "latest_delivery", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["org"]
    show_full_result_count = False
    # A URL typed without a scheme is taken as https (Django 6's default, already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        # Each endpoint's latest delivery tried, read with the list (two subqueries, no
        # query a row): an endpoint that gave up looked like any other here (found by an
        # audit). Tried: the ones waiting behind a failing one have no error of their own.
        latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk"), attempts__gt=0)
        latest = latest.order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_state=Subquery(latest.values("state")[:1]),
                latest_error=Subquery(latest.values("last_error")[:1]),
            )
        )

    @admin.display(description="latest delivery tried")
    def latest_delivery(self, endpoint: WebhookEndpoint) -> str:
        if endpoint.latest_state is None:
            return "None tried yet"
        state = WebhookDelivery.State(endpoint.latest_state).label
        if not endpoint.latest_error:
            return state
        return f"{state}: {error_text(endpoint.latest_error)}"


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
        "error",
        "delivered_at",
    ]
    list_filter = ["state", "event", "endpoint"]
    search_fields = ["key", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    show_full_result_count = False

    @admin.display(description="last error")
    def error(self, delivery: WebhookDelivery) -> str:
        return error_text(delivery.last_error)


def error_text(error: str) -> str:
    """An attempt's error as a list shows it (the delivery's page has it whole)."""
    return Truncator(error).chars(160)
