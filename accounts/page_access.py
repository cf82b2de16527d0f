"""Pages for system administrators only (the Data page, the audit log): one rule for
who gets in, and how everyone else is answered."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from accounts.roles import is_system_administrator


def system_administrators_only(view):
    """Signed-out callers are sent to sign in (a JSON view answers 401); anyone who is
    not a system administrator finds nothing here (404)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wants_json = getattr(view, "answers_json", False)
        if not request.user.is_authenticated:
            if wants_json:
                return JsonResponse({"error": "sign in as a system administrator"}, status=401)
            return redirect_to_login(request.get_full_path())
        if not is_system_administrator(request.user):
            if wants_json:
                return JsonResponse({"error": "not found"}, status=404)
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return checked


def answers_json(view):
    view.answers_json = True
    return view
