from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "reports.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reports.dashboards.saved.shared_paths import register_sender
        from reports.notifications import signals  # noqa: F401  (a removed user's sent count)
        from reports.notifications.subscriptions import views_sent_to

        # The views its subscriptions send someone open as they were counted for them.
        register_sender(views_sent_to)
