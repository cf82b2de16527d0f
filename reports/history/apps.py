from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "reports.history"
    label = "history"
    verbose_name = "Backup health history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reports.history import signals  # noqa: F401  (a removed org's rows stay put)
