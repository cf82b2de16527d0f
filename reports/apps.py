from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Backup environment and reports"

    def ready(self) -> None:
        from reports import signals  # noqa: F401  (connects the read-model refresh)
        from reports.cache import moved_on_by_migrate

        post_migrate.connect(moved_on_by_migrate, sender=self)
