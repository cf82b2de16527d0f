from django.urls import path

from accounts.audit import views

urlpatterns = [path("", views.events_page, name="audit")]
