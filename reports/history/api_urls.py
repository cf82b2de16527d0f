from django.urls import path

from reports.history.views import compliance_resource

urlpatterns = [
    path("history/compliance", compliance_resource, name="history-compliance"),
]
