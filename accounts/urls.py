from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import second_factor_views, signin_views

urlpatterns = [
    path("login/", signin_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset by email (Django's views; accounts.signin_views).
    path("password-reset/", signin_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        signin_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # An invitation's set-password link (accounts.invitations).
    path(
        "invitation/<uidb64>/<token>/",
        signin_views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    # The second factor (accounts.second_factor).
    path("two-factor/", second_factor_views.verify, name="second_factor_verify"),
    path("two-factor/enrol/", second_factor_views.enrol, name="second_factor_enrol"),
]
