"""The notifications page (every signed-in user) and the one-click unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.roles import is_system_administrator, usernames_in_reach
from reports.notifications.forms import PreferenceForm, SiteSwitchForm
from reports.notifications.links import read_unsubscribe_token
from reports.notifications.models import Frequency, Message, SiteSwitch, Subscription
from reports.notifications.preferences import gets_digests, preference_of


@login_required
@require_http_methods(["GET", "POST"])
def notifications_page(request: HttpRequest) -> HttpResponse:
    preference = preference_of(request.user)
    with_digest = gets_digests(request.user)
    admin = is_system_administrator(request.user)
    switch = SiteSwitch.current()
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, instance=preference, with_digest=with_digest)
    switch_form = SiteSwitchForm(data, initial={"site_owner_alerts": switch.owner_alerts})
    if data is not None and form.is_valid() and (not admin or switch_form.is_valid()):
        form.save()
        if form.has_changed():
            changed = {name: form.cleaned_data.get(name) for name in form.changed_data}
            audit.record("notifications.preferences", target=request.user.get_username(), **changed)
        if admin:
            before = switch.owner_alerts
            switch.owner_alerts = switch_form.cleaned_data["site_owner_alerts"]
            switch.save()
            if switch.owner_alerts != before:
                audit.record("notifications.switch", target="owner alerts", on=switch.owner_alerts)
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "switch_form": switch_form if admin else None,
            "switch": switch,
            "with_digest": with_digest,
        },
    )


KIND_WORDS = {
    Message.Kind.DIGEST: "the backup digest",
    Message.Kind.OWNER_ALERT: "alerts about your devices",
}


class SubscriptionEnded(Exception):
    """The token names a subscription that has since ended (deleted, or its view)."""


def _subscription_of(kind: str) -> Subscription | None:
    """The subscription an unsubscribe token names (subscriptions.unsubscribe_kind);
    None for another kind; SubscriptionEnded when it names one that has ended."""
    prefix, _, number = kind.partition(":")
    if prefix != Message.Kind.SUBSCRIPTION or not number.isascii() or not number.isdigit():
        return None
    subscription = Subscription.objects.select_related("view").filter(pk=int(number)).first()
    if subscription is None:
        raise SubscriptionEnded(kind)
    return subscription


@csrf_exempt  # RFC 8058: the mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
@never_cache  # it names the recipient, to whoever opens it: no one signed in
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners follow GETs); POST unsubscribes. No sign-in:
    the signed token says who and from what."""
    try:
        user_id, kind = read_unsubscribe_token(token)
        user = get_user_model().objects.get(pk=user_id)
        subscription = _subscription_of(kind)
        what = f'the saved view "{subscription.view.name}"' if subscription else KIND_WORDS[kind]
    except (signing.BadSignature, get_user_model().DoesNotExist, KeyError):
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    except SubscriptionEnded:
        # Nothing to stop: said so, not that the link is broken (found by an audit).
        return render(request, "notifications/unsubscribe_ended.html")
    if request.method == "POST":
        if subscription is not None:
            subscription.unsubscribed.add(user)
        else:
            preference = preference_of(user)
            if kind == Message.Kind.DIGEST:
                preference.digest = Frequency.OFF
            else:
                preference.owner_alerts = False
            preference.save()
        audit.record(
            "notifications.preferences",
            actor=user,
            target=user.get_username(),
            unsubscribed=str(kind),
        )
        # Its maker named only within the reader's reach, as the Subscriptions page says
        # "someone outside your reach": this page named the system administrator who
        # subscribed a desktop user (found by an audit of section 4).
        maker = subscription and subscription.created_by
        if maker is not None and maker.pk not in usernames_in_reach({maker.pk}, user):
            maker = None
        context = {"what": what, "subscription": subscription, "maker": maker}
        return render(request, "notifications/unsubscribed.html", context)
    return render(request, "notifications/unsubscribe.html", {"what": what, "address": user.email})
