from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    """The dashboards' only models: reports saved under a name (spec section 15)."""

    name = "reports.dashboards.saved"
    label = "saved_views"
    verbose_name = "Saved views"
    default_auto_field = "django.db.models.BigAutoField"
