from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "reports.integrations"
    label = "integrations"
    verbose_name = "Integrations (Prometheus metrics, webhooks)"
    default_auto_field = "django.db.models.BigAutoField"
