from django.urls import path

from reports.notifications.views import notifications_page, unsubscribe

urlpatterns = [
    path("", notifications_page, name="notifications"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
]
