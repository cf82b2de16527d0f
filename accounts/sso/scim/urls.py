"""SCIM 2.0 under /scim/v2/ (backupreport.urls); names as RFC 7644 spells them."""

from django.urls import path, re_path

from accounts.sso.scim import views

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config, name="scim-config"),
    path("ResourceTypes", views.resource_types, name="scim-resource-types"),
    path("ResourceTypes/<str:name>", views.resource_types, name="scim-resource-type"),
    path("Schemas", views.schemas, name="scim-schemas"),
    path("Schemas/<str:urn>", views.schemas, name="scim-schema"),
    path("Users", views.users, name="scim-users"),
    path("Users/<int:pk>", views.user, name="scim-user"),
    # Anything else (Groups: roles come from the provider's groups at sign-in) is
    # SCIM's 404, not a page.
    re_path(r"^.*$", views.not_here, name="scim-not-here"),
]
