"""Saved views: the list (in the menu), saving the report page one is on, opening one
(the report page with its parameters: computed with the viewer's reach), deleting one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.audit.recording import roles_and_people
from accounts.roles import OUTSIDE_REACH, is_system_administrator, reach_of, usernames_in_reach
from accounts.storable_text import unstorable
from reports.catalog import LAYOUT
from reports.dashboards.chips import describe
from reports.dashboards.saved.forms import SavedViewForm, report_at
from reports.dashboards.saved.models import SavedView
from reports.templatetags.backup_format import counted


def makers_as_seen(maker_ids: set[int], viewer) -> str:
    """Who made these subscriptions, as the viewer may read it: the usernames within
    their reach (the people of their org subtree, and themselves), the others counted.
    A role shares a view with people out of the owner's reach, and their usernames were
    read on this page (found by an audit of the subscriptions)."""
    named = sorted(usernames_in_reach(maker_ids, viewer).values())
    others = len(maker_ids) - len(named)
    if others:
        named.append(f"{others} {'person' if others == 1 else 'people'} outside your reach")
    return ", ".join(named)


@login_required
@require_GET
def saved_views_page(request: HttpRequest) -> HttpResponse:
    views = list(
        SavedView.objects.visible_to(request.user)
        .select_related("owner")
        .prefetch_related("shared_roles", "shared_users")
    )
    sees_all = is_system_administrator(request.user)
    # A view shared with a role named its owner to people out of the owner's reach
    # (found by an audit).
    owners = usernames_in_reach({view.owner_id for view in views}, request.user)
    for view in views:
        view.shared_with_text = shared_with(view, request.user, sees_all)
        view.owner_text = owners.get(view.owner_id, OUTSIDE_REACH)
    return render(request, "saved_views/list.html", {"views": views})


def shared_with(view: SavedView, viewer, sees_all: bool) -> str:
    """Whom a view is shared with, as this viewer may read it: its owner and system
    administrators read every name; anyone else the roles and whether it names them. A
    recipient read every other recipient's username, people out of their reach among
    them (found by an audit, 2026-12-06)."""
    # Sorted here: the prefetched rows come in no set order (PostgreSQL's differed).
    roles = sorted(role.name for role in view.shared_roles.all())
    people = sorted(person.username for person in view.shared_users.all())
    if not (sees_all or view.owner_id == viewer.pk):
        people = ["you"] if viewer.username in people else []
    if not roles and not people:
        return "nobody (private)"
    return "; ".join(part for part in (", ".join(roles), ", ".join(people)) if part)


@login_required
@require_http_methods(["GET", "POST"])
def save_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SavedViewForm(request.POST, owner=request.user)
        if form.is_valid():
            try:
                view = _saved(request, form)
            except IntegrityError:
                # The name taken since it was checked: a double-click's second post, a
                # 500 where the first had saved it (found by an audit of section 15).
                name = form.cleaned_data["name"]
                if not SavedView.objects.filter(owner=request.user, name=name).exists():
                    raise
                form.add_error("name", form.name_taken(name))
            else:
                messages.success(request, f'Saved as "{view.name}".')
                return redirect(view.url)
        status = 400
    else:
        form = SavedViewForm(initial={"page": request.GET.get("from", "")}, owner=request.user)
        status = 200
    page = request.POST.get("page") if request.method == "POST" else request.GET.get("from")
    context = {"form": form} | _saving(page or "", request.user)
    return render(request, "saved_views/save.html", context, status=status)


def _saved(request: HttpRequest, form: SavedViewForm) -> SavedView:
    """The view, its sharing and its event, at once or not at all."""
    with transaction.atomic():
        view = form.save()
        audit.record(
            "saved_view.saved",
            request=request,
            target=f'view {view.pk}: "{view.name}"',
            report=view.report,
            query=view.query,
            shared_with=roles_and_people(view.shared_roles, view.shared_users),
        )
    return view


def _saving(page: str, user) -> dict:
    """What is being saved, in the chips' words, and the way back to it: the form said
    neither (found by an audit of the pages)."""
    found = report_at(page)
    if found is None:
        return {}
    report, query = found
    reach = reach_of(user).scope
    params = QueryDict(query)
    # A value the database cannot store is the form's error to name (clean_page); its
    # chip read the org of orgUid=%00 and PostgreSQL refused the NUL, a 500 (found by
    # an audit).
    filters = [
        describe(name, value, reach, user)
        for name, value in params.items()
        if name not in LAYOUT and value != "" and unstorable(value) is None
    ]
    back = f"{report.path}?{query}" if query else report.path
    return {"saving": report.title, "saving_filters": filters, "back_url": back}


@login_required
@require_GET
def open_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=pk)
    return redirect(view.url)


@login_required
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = SavedView.objects.filter(owner=request.user, pk=pk).first()
    if view is None:
        raise Http404("No such view of yours")
    # Its subscriptions end with it, others' too: said first, and deleted only once the
    # owner confirms (a bare button ended them unsaid; found by an audit of the pages).
    subscriptions = list(view.subscriptions.select_related("created_by").order_by("pk"))
    if subscriptions and request.POST.get("confirm") != "yes":
        makers = makers_as_seen({s.created_by_id for s in subscriptions}, request.user)
        context = {"view": view, "subscriptions": len(subscriptions), "makers": makers}
        return render(request, "saved_views/delete.html", context)
    target = f'view {view.pk}: "{view.name}"'
    # One transaction, the event last: recorded first and alone, a delete that then
    # failed left an event of a deletion that never happened (found by an audit of the
    # small defects).
    with transaction.atomic():
        view.delete()
        audit.record(
            "saved_view.deleted",
            request=request,
            target=target,
            subscriptions_ended=len(subscriptions),
        )
    ended = f" and its {counted(len(subscriptions), 'subscription')}" if subscriptions else ""
    messages.success(request, f'Deleted "{view.name}"{ended}.')
    return redirect("saved-views")
