from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: an app so that its command, generate_demo_data, is found."""

    name = "reports.demo"
    label = "demo"
    verbose_name = "Demo data"
