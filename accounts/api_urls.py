"""The vendor's sign-in endpoints, under /api/v3/ (accounts.views)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("oauth/token", views.oauth_token, name="oauth-token"),
    path("auth/jwt", views.user_token, name="user-token"),
    path("LoginConfiguration", views.login_configuration, name="login-configuration"),
]
