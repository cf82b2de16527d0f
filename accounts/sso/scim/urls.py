"""SCIM 2.0 under /scim/v2/ (backupreport.urls); names as RFC 7644 spells them.

The views are imported at a process's first SCIM request, not with the URLconf: every
gunicorn worker loads the URLconf before serving (backupreport.wsgi), and scim2_models
(pydantic under it) cost each 28 MB for calls an identity provider makes a few times a
day (0.8 s at a process's first; measured 2026-12-08)."""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt


def _view(name: str):
    # csrf_exempt as the view is (accounts.sso.scim.views.scim): the middleware reads
    # it off what the URLconf names, before the view is imported.
    @csrf_exempt
    def on_first_call(request, *args, **kwargs):
        from accounts.sso.scim import views

        return getattr(views, name)(request, *args, **kwargs)

    on_first_call.__name__ = on_first_call.__qualname__ = name
    return on_first_call


urlpatterns = [
    path("ServiceProviderConfig", _view("service_provider_config"), name="scim-config"),
    path("ResourceTypes", _view("resource_types"), name="scim-resource-types"),
    path("ResourceTypes/<str:name>", _view("resource_types"), name="scim-resource-type"),
    path("Schemas", _view("schemas"), name="scim-schemas"),
    path("Schemas/<str:urn>", _view("schemas"), name="scim-schema"),
    path("Users", _view("users"), name="scim-users"),
    path("Users/<int:pk>", _view("user"), name="scim-user"),
    # Anything else (Groups: roles come from the provider's groups at sign-in) is
    # SCIM's 404, not a page.
    re_path(r"^.*$", _view("not_here"), name="scim-not-here"),
]
