from django.apps import AppConfig


class WarmingConfig(AppConfig):
    name = "reports.warming"
    label = "warming"
    verbose_name = "Figures computed ahead"
    default_auto_field = "django.db.models.BigAutoField"
