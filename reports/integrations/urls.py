from django.urls import path

from reports.integrations import views

urlpatterns = [path("metrics", views.metrics, name="metrics")]
