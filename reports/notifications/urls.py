from django.urls import path

from reports.notifications.subscription_views import (
    end_subscription,
    subscribe,
    subscription_download,
    subscriptions_page,
    unsubscribe_here,
)
from reports.notifications.views import notifications_page, unsubscribe

urlpatterns = [
    path("", notifications_page, name="notifications"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("subscriptions/", subscriptions_page, name="subscriptions"),
    path("subscriptions/new/<int:view_id>/", subscribe, name="subscribe"),
    path("subscriptions/<int:pk>/end/", end_subscription, name="end-subscription"),
    path("subscriptions/<int:pk>/unsubscribe/", unsubscribe_here, name="unsubscribe-here"),
    path(
        "subscriptions/download/<str:token>/", subscription_download, name="subscription-download"
    ),
]
