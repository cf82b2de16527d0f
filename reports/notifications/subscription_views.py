"""Subscriptions' pages: subscribing to a saved view, the list of one's subscriptions
(every one for a system administrator), ending one, and the signed download of a list
too large to attach. The send log is the admin's (Message, kind subscription)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.audit.recording import parameters_of, roles_and_people
from accounts.roles import OUTSIDE_REACH, is_system_administrator, usernames_in_reach
from reports.dashboards import spreadsheet
from reports.dashboards.saved.models import SavedView
from reports.notifications.forms import SubscriptionForm
from reports.notifications.links import read_download_token
from reports.notifications.models import Subscription
from reports.notifications.subscriptions import (
    download_target,
    is_recipient,
    problem_of,
    problems_of,
    receiving,
    recipients_of,
    sent_to,
    unsubscribe_kind,
    view_sheet,
)
from reports.templatetags.backup_format import counted


def _manageable(user):
    """The subscriptions this user may see and end: their own, or all for an admin."""
    every = Subscription.objects.select_related("view", "created_by")
    return every if is_system_administrator(user) else every.filter(created_by=user)


# Thousands of subscriptions were one table (an administrator's, of every org manager's
# own): a page at a time, each read for the page's rows only (found by an audit).
SUBSCRIPTIONS_PER_PAGE = 100


@login_required
@require_GET
def subscriptions_page(request: HttpRequest) -> HttpResponse:
    manageable = _manageable(request.user)
    listing = manageable.prefetch_related("recipients", "recipient_roles").order_by("pk")
    page = Paginator(listing, SUBSCRIPTIONS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page)
    # Read for all the page lists at once: each in turn cost ten queries, 2,009 at 200
    # subscriptions (found by an audit). The same answers the sending run reads.
    problems, counts = problems_of(shown), receiving(shown)
    for subscription in shown:
        subscription.problem = problems[subscription.pk]
        # Who gets it now: those named or in a role named, less the unsubscribed (one's
        # own, unsubscribed, read "Sending" and went to no one, 2026-12-06).
        subscription.receiving = counts[subscription.pk]
    _name_recipients(shown, request.user)
    received = _received(request.user, manageable)
    context = {"subscriptions": shown, "page": page, "received": received}
    return render(request, "notifications/subscriptions.html", context)


def _name_recipients(shown: list, viewer) -> None:
    """The people each sends to, named in order within the viewer's reach only (one query for the
    page): an org manager since made a desktop user read the names of the people of the
    org they no longer see on their own subscriptions (found by an audit). The others
    are counted, as the maker's name is said (OUTSIDE_REACH)."""
    people = {person.pk for subscription in shown for person in subscription.recipients.all()}
    named = usernames_in_reach(people, viewer)
    for subscription in shown:
        ids = [person.pk for person in subscription.recipients.all()]
        subscription.named_recipients = sorted(named[pk] for pk in ids if pk in named)
        subscription.unnamed_recipients = sum(1 for pk in ids if pk not in named)


def _received(user, manageable) -> list:
    """The subscriptions someone else made that send to this user: listed, each with an
    Unsubscribe button; the page showed none of them, and only the message's link let a
    recipient stop one (found by an audit of the pages). Not one of theirs, listed on
    this page or another."""
    others = sent_to(user).exclude(pk__in=manageable.values("pk"))
    received = list(others.select_related("view", "created_by").order_by("pk"))
    # Their maker is a system administrator, out of a manager's or desktop user's reach.
    makers = usernames_in_reach({subscription.created_by_id for subscription in received}, user)
    for subscription in received:
        subscription.maker_text = makers.get(subscription.created_by_id, OUTSIDE_REACH)
    return received


@login_required
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=view_id)
    admin = is_system_administrator(request.user)
    data = request.POST if request.method == "POST" else None
    form = SubscriptionForm(data, user=request.user, may_name_others=admin, view=view)
    if data is not None and form.is_valid():
        try:
            with transaction.atomic():
                subscription = form.save_for(view)
                count = recipients_of(subscription).count()
                audit.record(
                    "subscription.created",
                    request=request,
                    target=f'subscription {subscription.pk}: "{view.name}"',
                    frequency=subscription.frequency,
                    format=subscription.format,
                    recipients=count,
                    # To whom: the count alone did not tell the org managers from two
                    # people (found by an audit of section 13).
                    sent_to=roles_and_people(subscription.recipient_roles, subscription.recipients),
                )
        except IntegrityError:
            # Another save of the same view and frequency came first, after this form's
            # check (the database's constraint): said as the form says it, not a 500.
            clash = form.clash(form.cleaned_data["frequency"])
            if clash is None:
                raise
            form.add_error(None, clash)
        else:
            messages.success(
                request, f'Subscribed: "{view.name}" to {counted(count, "recipient")}.'
            )
            return redirect("subscriptions")
    status = 400 if data is not None else 200
    context = {"form": form, "view": view, "admin": admin}
    return render(request, "notifications/subscribe.html", context, status=status)


@login_required
@require_POST
def end_subscription(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _manageable(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404("No such subscription of yours")
    target = f'subscription {subscription.pk}: "{subscription.view.name}"'
    # One transaction: the event was recorded first and alone, and a delete that then
    # failed left an event of an end that never happened (found by an audit of the
    # small defects). The event last, so the audit chain's head is held only briefly.
    with transaction.atomic():
        subscription.delete()
        audit.record("subscription.ended", request=request, target=target)
    messages.success(request, f'Subscription to "{subscription.view.name}" ended.')
    return redirect("subscriptions")


@login_required
@require_POST
def unsubscribe_here(request: HttpRequest, pk: int) -> HttpResponse:
    """One recipient stops getting a subscription someone else made (its message's link
    does the same, signed in or not)."""
    subscription = Subscription.objects.filter(pk=pk, active=True).first()
    if subscription is None or not is_recipient(subscription, request.user):
        raise Http404("You receive no such subscription")
    subscription.unsubscribed.add(request.user)
    audit.record(
        "notifications.preferences",
        request=request,
        target=request.user.get_username(),
        unsubscribed=unsubscribe_kind(subscription.pk),
    )
    messages.success(request, f'You no longer get "{subscription.view.name}".')
    return redirect("subscriptions")


@login_required
@require_GET
def subscription_download(request: HttpRequest, token: str) -> HttpResponse:
    """The list of a message's link: for the recipient it was sent to only, computed
    now with their reach, in the subscription's format."""
    try:
        subscription_id, user_id = read_download_token(token)
    except signing.SignatureExpired:
        return HttpResponse("This link has expired.\n", status=410, content_type="text/plain")
    except signing.BadSignature:
        return HttpResponse("This link is not valid.\n", status=400, content_type="text/plain")
    if user_id != request.user.pk:
        return HttpResponse(
            "This link was sent to someone else: sign in as them.\n",
            status=403,
            content_type="text/plain",
        )
    subscription = Subscription.objects.select_related("view").filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404("The subscription was ended")
    # The link is a copy of the message: it lasts while the message would still be sent
    # to this reader (not after they unsubscribed or their role lost it, 2026-12-06).
    if not is_recipient(subscription, request.user):
        return HttpResponse(
            "You no longer receive this subscription.\n", status=410, content_type="text/plain"
        )
    problem = problem_of(subscription)
    if problem is not None:
        # Why is its maker's to read, as on the Subscriptions page (_manageable): it
        # names them and their account's state ("root, who made it, may no longer sign
        # in"), told to a desktop user it was sent to (found by an audit of section 15).
        if not _manageable(request.user).filter(pk=subscription.pk).exists():
            problem = "nothing is sent until whoever made it mends it"
        return HttpResponse(
            f"This subscription is held: {problem}.\n", status=409, content_type="text/plain"
        )
    sheet, _ = view_sheet(subscription, request.user)
    view = subscription.view
    fmt = subscription.format
    name = spreadsheet.file_name(view.report, view.query_dict, fmt)
    rows = sheet.rows.count()
    audit.record_export(
        request,
        target=download_target(subscription),
        rows=rows,
        kind=f"export.{fmt}",
        parameters=parameters_of(view.query_dict),  # as its attached copy says them
    )
    return spreadsheet.response(sheet, fmt, name)
