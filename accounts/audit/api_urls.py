from django.urls import path

from accounts.audit import views

urlpatterns = [path("events", views.events_resource, name="audit-events")]
