"""Saved views: the list (in the menu), saving the report page one is on, opening one
(the report page with its parameters: computed with the viewer's reach), deleting one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from reports.dashboards.saved.forms import SavedViewForm
from reports.dashboards.saved.models import SavedView


@login_required
@require_GET
def saved_views_page(request: HttpRequest) -> HttpResponse:
    views = (
        SavedView.objects.visible_to(request.user)
        .select_related("owner")
        .prefetch_related("shared_roles", "shared_users")
    )
    return render(request, "saved_views/list.html", {"views": views})


@login_required
@require_http_methods(["GET", "POST"])
def save_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SavedViewForm(request.POST, owner=request.user)
        if form.is_valid():
            view = form.save()
            shared = [*view.shared_roles.values_list("name", flat=True)]
            shared += [*view.shared_users.values_list("username", flat=True)]
            audit.record(
                "saved_view.saved",
                request=request,
                target=f'view {view.pk}: "{view.name}"',
                report=view.report,
                query=view.query,
                shared_with=shared,
            )
            messages.success(request, f'Saved as "{view.name}".')
            return redirect(view.url)
        status = 400
    else:
        form = SavedViewForm(initial={"page": request.GET.get("from", "")}, owner=request.user)
        status = 200
    return render(request, "saved_views/save.html", {"form": form}, status=status)


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
    audit.record("saved_view.deleted", request=request, target=f'view {view.pk}: "{view.name}"')
    view.delete()
    messages.success(request, f'Deleted "{view.name}".')
    return redirect("saved-views")
