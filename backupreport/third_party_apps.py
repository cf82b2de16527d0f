"""The third-party apps that show in the admin's sidebar, under names an admin reads:
their own configs named them "Axes", "Otp_Totp" and "Tasks Database Backend". Each is
the library's config with only `verbose_name` changed (labels, models and ready() as
they were), listed in INSTALLED_APPS by these paths."""

from axes.apps import AppConfig as AxesConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig
from django_tasks_db.apps import TasksAppConfig


class SignInLockouts(AxesConfig):
    verbose_name = "Sign-in lockouts"


class SecondFactor(TOTPConfig):
    verbose_name = "Second factor (authenticator apps)"


class BackgroundJobs(TasksAppConfig):
    verbose_name = "Background jobs"
