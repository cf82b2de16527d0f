from django.urls import path

from reports.history.views import compliance_page

urlpatterns = [
    path("compliance/", compliance_page, name="compliance"),
]
