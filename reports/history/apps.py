from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "reports.history"
    label = "history"
    verbose_name = "Backup health history"
    default_auto_field = "django.db.models.BigAutoField"
