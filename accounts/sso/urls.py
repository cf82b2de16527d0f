"""Everything of single sign-on under /sso/ (backupreport.urls): one prefix that a page
waiting for something else (a second factor) lets through."""

from django.urls import path

from accounts.sso import views

urlpatterns = [
    path("oidc/login/", views.oidc_login, name="sso-oidc-login"),
    path("oidc/callback/", views.oidc_callback, name="sso-oidc-callback"),
    path("saml/login/", views.saml_login, name="sso-saml-login"),
    path("saml/acs/", views.saml_acs, name="sso-saml-acs"),
    path("saml/metadata/", views.saml_metadata, name="sso-saml-metadata"),
]
