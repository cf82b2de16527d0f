from django.urls import path

from reports.history.views import compliance_page, trend_csv

urlpatterns = [
    path("compliance/", compliance_page, name="compliance"),
    path("trend.csv", trend_csv, name="trend-csv"),
]
