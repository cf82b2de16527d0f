"""Subscriptions (spec section 15): a saved view emailed each period to each recipient,
computed with that recipient's reach (accounts.roles), never with the sender's or the
subscriber's.

Each message goes through the send log (reports.notifications.sending.claim): claimed
before it is composed, so a second sender, or a rerun after a crash, skips it; at most
one message per recipient and period. The list goes as a CSV or XLSX attachment
(reports.dashboards.spreadsheet, the dashboards' own export) or, past
SUBSCRIPTION_ATTACHMENT_ROWS or SUBSCRIPTION_ATTACHMENT_BYTES, as a signed link that
expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery

from accounts import audit, org_names
from accounts.audit.recording import parameters_of
from accounts.models import MAY_SIGN_IN
from accounts.roles import (
    ROLE_GROUPS,
    is_system_administrator,
    reach_of,
    superusers_hold,
    with_roles,
)
from reports.dashboards import spreadsheet, summary_pdf
from reports.dashboards.filters import ORG_UID_PARAMETERS, unnamed_org
from reports.dashboards.saved.models import SavedView
from reports.notifications.links import absolute, download_url
from reports.notifications.models import Message, Subscription
from reports.notifications.periods import due_since, period_began, period_key
from reports.query import InvalidParameters

FIRST_ROWS = 10


def unsubscribe_kind(subscription_id: int) -> str:
    """The unsubscribe token's kind for one subscription (reports.notifications.views)."""
    return f"{Message.Kind.SUBSCRIPTION}:{subscription_id}"


def recipients_of(subscription: Subscription) -> QuerySet:
    """The people named and everyone with a role named who may sign in (not ended here
    nor at the vendor: accounts.models.MAY_SIGN_IN) and have an address, but those who
    unsubscribed; in a steady order."""
    return _recipients(subscription.pk).order_by("pk")


def _recipients(subscription) -> QuerySet:
    """recipients_of, of a subscription's pk or of an outer query's row (receiving)."""
    User = get_user_model()
    named = Subscription.recipients.through.objects.filter(subscription=subscription)
    roles = Subscription.recipient_roles.through.objects.filter(subscription=subscription)
    # Each link table is read at one depth, a row's own or the outer query's (receiving).
    in_role = roles.values("group__user")
    gone = Subscription.unsubscribed.through.objects.filter(subscription=subscription)
    held = [group for group in ROLE_GROUPS.values() if superusers_hold(group)]
    chosen = (
        Q(pk__in=named.values("user_id"))
        | Q(pk__in=in_role)
        | Q(Exists(roles.filter(group__name__in=held)), is_superuser=True)
    )
    return (
        User.objects.filter(chosen, MAY_SIGN_IN)
        .exclude(email="")
        .exclude(pk__in=gone.values("user_id"))
    )


def receiving(shown: list[Subscription]) -> dict[int, int]:
    """How many recipients_of each has now, by pk, in one query however many: the
    Subscriptions page counted each in queries of its own (found by an audit)."""
    # The outer query's row, seen from the link tables inside the count's query.
    each = _recipients(OuterRef(OuterRef("pk"))).order_by()
    count = each.annotate(n=Func(F("pk"), function="COUNT")).values("n")
    counted = Subscription.objects.filter(pk__in=[s.pk for s in shown])
    return dict(counted.annotate(receiving=Subquery(count)).values_list("pk", "receiving"))


def _naming(user) -> Q:
    """Subscriptions that name `user`, or a role of theirs (a superuser's too)."""
    User = get_user_model()
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    to_user = Q(recipients=user) | Q(recipient_roles__in=groups)
    if user.is_superuser:
        held = [group for group in ROLE_GROUPS.values() if superusers_hold(group)]
        to_user |= Q(recipient_roles__name__in=held)
    return to_user


def views_sent_to(user) -> QuerySet[SavedView]:
    """The saved views an active subscription sends to `user`, by name or role, unless
    they unsubscribed: their message's link opens the view as its rows were counted
    (reports.dashboards.saved.shared_paths)."""
    sending = Subscription.objects.filter(active=True).exclude(unsubscribed=user)
    return SavedView.objects.filter(pk__in=sending.filter(_naming(user)).values("view_id"))


def sent_to(user) -> QuerySet[Subscription]:
    """The subscriptions is_recipient() says go to `user`, in one query: a page asked
    each active subscription of the site in turn, 400 queries at 200 subscriptions
    (found by an audit of section 15)."""
    if not (user.is_authenticated and user.email and user.may_sign_in):
        return Subscription.objects.none()  # recipients_of takes no one such
    naming = Subscription.objects.filter(_naming(user)).values("pk")
    return Subscription.objects.filter(active=True, pk__in=naming).exclude(unsubscribed=user)


def problem_of(subscription: Subscription) -> str | None:
    """Why the subscription is held, or None (problems_of, for this one): what the
    sending run asks of each subscription, and its download link."""
    return problems_of([subscription])[subscription.pk]


def problems_of(shown: list[Subscription]) -> dict[int, str | None]:
    """Why each subscription is held, or None, by its pk: whoever made it may no longer
    sign in, or sends to others and is no longer a system administrator, who alone may
    (spec 15: a deactivated administrator's subscriptions kept mailing; found by an
    audit), or its view is no longer shared with them (a subscription outlived the
    unsharing, 2026-12-06), or its saved parameters are no longer understood (then every
    recipient's copy failed, every hour, and no one was told), its report is no longer
    offered (an upgrade renamed it), or its org filter names no org for them or for the
    view's owner (reports.dashboards.filters.unnamed_org). Held, it sends nothing; it
    goes again once its maker is back, the view shared again or mended.

    The Subscriptions page asks it of all it lists at once, the sending run of one at a
    time: the same answer. Asked of each in turn, the page cost ten queries a
    subscription, 2,009 and 15 s at 200 (found by an audit): the makers, the owners,
    whom each sends to and what is shared with whom are read once for all.

    Whether a view's parameters hold is the grammar's answer, the same for every
    subscriber (spreadsheet.parameters_problem reads no user, which
    tests/test_subscriptions_page_batched.py checks against each role's report sheet):
    asked once per report and parameters, with no report query built. Building each
    one's query to learn it cost 3.3 s a page of 100 (found by an audit). Whether an org
    filter names an org stays each reader's own: read once per text and reach, the org
    codes of the page all in one query (accounts.org_names.remembered)."""
    User = get_user_model()
    people = with_roles(User.objects.filter(pk__in=_makers_and_owners(shown))).in_bulk()
    to_others = _sending_to_others(shown)
    seen = SavedView.objects.seen_by([(s.view_id, s.created_by_id) for s in shown], people)
    grammar = {
        (view.report, view.query): spreadsheet.parameters_problem(view.report, view.query_dict)
        for view in {s.view for s in shown}
        if view.offered
    }
    with org_names.remembered():
        org_names.read_paths(
            s.view.query_dict.get(name) for s in shown for name in ORG_UID_PARAMETERS
        )
        return {
            subscription.pk: _problem(
                subscription,
                people[subscription.created_by_id],
                people[subscription.view.owner_id],
                subscription.pk in to_others,
                (subscription.view_id, subscription.created_by_id) in seen,
                grammar.get((subscription.view.report, subscription.view.query)),
            )
            for subscription in shown
        }


def _makers_and_owners(shown: list[Subscription]) -> set[int]:
    return {s.created_by_id for s in shown} | {s.view.owner_id for s in shown}


def _sending_to_others(shown: list[Subscription]) -> set[int]:
    """The pks of those that name a role, or anyone but whoever made them."""
    pks = [subscription.pk for subscription in shown]
    roles = Subscription.recipient_roles.through.objects.filter(subscription_id__in=pks)
    named = Subscription.recipients.through.objects.filter(subscription_id__in=pks).exclude(
        user_id=F("subscription__created_by_id")
    )
    either = roles.values_list("subscription_id").union(named.values_list("subscription_id"))
    return {pk for (pk,) in either}


def _problem(
    subscription, creator, owner, to_others: bool, seen: bool, invalid: InvalidParameters | None
) -> str | None:
    """problems_of for one, told what was read for all: its maker and its view's owner
    (read through accounts.roles.with_roles, their reach costs no query), whether it
    sends to others, whether its maker may see its view and what its parameters lack."""
    view = subscription.view
    if not creator.may_sign_in:
        return f"{creator.username}, who made it, may no longer sign in"
    if to_others and not is_system_administrator(creator):
        return (
            f"{creator.username}, who made it, is no longer a system administrator, "
            "who alone sends to others"
        )
    if not seen:
        return f'the saved view "{view.name}" is no longer shared with {creator.username}'
    if not view.offered:
        return f'the saved view "{view.name}" is of a report no longer offered: {view.report}'
    if invalid is not None:
        return f'the saved view "{view.name}" no longer holds: {invalid}'
    # An org renamed at the vendor, or deleted, mailed "0 rows" every period as if the
    # fleet had none (found by an audit): held as parameters that no longer hold are.
    unnamed = unnamed_org(view.query_dict, creator, reach_of(creator), owner)
    if unnamed is not None:
        return f'the org filter of the saved view "{view.name}" names no org: {unnamed}'
    # Its recipients read the org through the reach of the view's owner (view_sheet's
    # shared_by; shared_paths reads no one's own org), and only its maker's reading was
    # checked: an administrator's subscription to a view of a manager no longer one
    # mailed the managers below her "0 rows" (found by an audit). The owner is not
    # named: they may be out of the subscriber's reach. Only where it goes to others:
    # to its maker alone, their own reading (above) is what it sends, and a desktop
    # user's view of their own org, which an administrator reads whole, was held for
    # the administrator's own copy (found by a review).
    if view.owner_id != creator.pk and to_others:
        unnamed = unnamed_org(view.query_dict, None, reach_of(owner))
        if unnamed is not None:
            return (
                f'the org filter of the saved view "{view.name}" names no org as its owner '
                f"reads it now: {unnamed}"
            )
    return None


def held_key(subscription: Subscription, problem: str) -> str:
    """The send-log key of the one message that tells its creator why it is held."""
    digest = hashlib.sha256(problem.encode()).hexdigest()[:16]
    return f"subscription {subscription.pk} held {digest}"


def is_recipient(subscription: Subscription, user) -> bool:
    """Whether it goes to the user now: it is active and names them. Stopped in the
    admin (active off), its last message's download link still gave the list (found
    by an audit of the subscriptions)."""
    return subscription.active and recipients_of(subscription).filter(pk=user.pk).exists()


def message_key(subscription: Subscription, now) -> str:
    return f"subscription {subscription.pk} {period_key(subscription.frequency, now)}"


def had_this_period(subscription: Subscription, now) -> set[int]:
    """The recipients who have had this view this period (sent, or claimed by a sender
    that may have sent it), to be skipped: at most once per recipient and period (spec
    15) whatever sent it. From this subscription at whatever frequency it had (an
    administrator's change of weekly to daily mailed it again the same day), or from
    another subscription of the same view that sent the same files (a manager's own
    weekly copy and an administrator's to the managers' role mailed her the same list
    twice each Monday; both found by an audit of the subscriptions). A copy with other
    files (a CSV beside an XLSX, or without the PDF this one attaches) still goes."""
    same = Subscription.objects.filter(view_id=subscription.view_id, format=subscription.format)
    if subscription.with_pdf:
        same = same.filter(with_pdf=True)
    sent_by = Q()
    for pk in same.values_list("pk", flat=True):  # itself among them
        for frequency in Subscription.Frequency.values:  # not its held or failed notices
            sent_by |= Q(key__startswith=f"subscription {pk} {frequency} ")
    began = period_began(subscription.frequency, now)
    this_period = Q(key=message_key(subscription, now)) | Q(sent_by, claimed_at__gte=began)
    had = Message.objects.filter(this_period, kind=Message.Kind.SUBSCRIPTION)
    return set(had.went_out_or_may_have().values_list("recipient_id", flat=True))


def is_due(subscription: Subscription, now) -> bool:
    """From its period's moment (its first day at its hour, UTC), if it was made by then:
    one made later waits for the next period's. A "Weekly (Mondays)" made on a Sunday
    went out at once and again the next day (found by an audit of the subscriptions)."""
    due = due_since(subscription.frequency, subscription.hour, now)
    return now >= due and subscription.created_at <= due


@dataclass
class Delivery:
    """One recipient's copy: their counts, first rows, and the list or a link to it."""

    subscription: Subscription
    rows: int  # in the list; with `more`, the limit it stopped at
    more: bool
    devices: int  # of the rows counted, each once
    by_health: dict[str, int]  # devices, each once, of the rows counted
    headers: list[str]
    first_rows: list[list]
    link: str
    file_name: str
    attachment: bytes | None  # None: too large, see download_link
    download_link: str | None
    pdf: summary_pdf.ManagementPdf | None = None  # when the subscription asks for it

    def audit_as_sent(self, recipient) -> None:
        """What went out as attachments recorded as exports, as a download of them is
        (spec section 13): the list left the system all the same (found by an audit)."""
        target = download_target(self.subscription)
        if self.attachment is not None:
            audit.record(
                f"export.{self.subscription.format}",
                actor=recipient,
                target=target,
                ambient=False,
                via="subscription email",
                rows=self.rows,
                parameters=parameters_of(self.subscription.view.query_dict),
            )
        if self.pdf is not None:
            audit.record(
                "export.pdf",
                actor=recipient,
                target=summary_pdf.TARGET,
                ambient=False,
                via="subscription email",
                **self.pdf.audited(),
            )

    @property
    def subject(self) -> str:
        more = "+" if self.more else ""
        plural = "s" if self.rows != 1 else ""
        return f"{self.subscription.view.name}: {self.rows:,}{more} row{plural}"


def download_target(subscription: Subscription) -> str:
    """What the audit log names a subscription's list, downloaded or attached."""
    return f"subscription {subscription.pk}: report {subscription.view.report}"


def view_sheet(
    subscription: Subscription, recipient, shared_by=None
) -> tuple[spreadsheet.Sheet, object]:
    """The view's sheet for this recipient, within their reach, and its report query.
    `shared_by`: the view's owner, when the caller has read them already.

    Raises reports.query.InvalidParameters when the saved parameters no longer hold."""
    view = subscription.view
    reach = reach_of(recipient)
    owner = shared_by if shared_by is not None else view.owner
    return spreadsheet.report_sheet(view.report, view.query_dict, recipient, reach, owner)


def delivery_for(subscription: Subscription, recipient, now) -> Delivery:
    """The list written once, in one query: counted, its first rows kept, and cut short
    past SUBSCRIPTION_ATTACHMENT_ROWS, when a signed link goes instead of the file (as
    past SUBSCRIPTION_ATTACHMENT_BYTES)."""
    view = subscription.view
    sheet, _ = view_sheet(subscription, recipient)
    fmt = subscription.format
    tally = spreadsheet.Tally(sheet, keep=FIRST_ROWS, limit=settings.SUBSCRIPTION_ATTACHMENT_ROWS)
    attachment = link = None
    with spreadsheet.spooled(sheet, fmt, tally) as data:
        fits = data.seek(0, 2) <= settings.SUBSCRIPTION_ATTACHMENT_BYTES
        if fits and not tally.overflowed:
            data.seek(0)
            attachment = data.read()
        else:
            link = download_url(subscription.pk, recipient.pk)
    reach = reach_of(recipient)
    pdf = summary_pdf.management_pdf(recipient, reach, now) if subscription.with_pdf else None
    return Delivery(
        subscription=subscription,
        rows=tally.rows,
        more=tally.overflowed,
        devices=tally.devices,
        by_health=tally.by_health,
        headers=spreadsheet.display_headers(sheet),
        first_rows=tally.first,
        link=absolute(view.url),
        file_name=spreadsheet.file_name(view.report, view.query_dict, fmt, now),
        attachment=attachment,
        download_link=link,
        pdf=pdf,
    )
