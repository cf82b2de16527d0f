from django.urls import path

from reports.dashboards.saved.views import delete_view, open_view, save_view, saved_views_page

urlpatterns = [
    path("", saved_views_page, name="saved-views"),
    path("save/", save_view, name="save-view"),
    path("<int:pk>/", open_view, name="saved-view"),
    path("<int:pk>/delete/", delete_view, name="delete-saved-view"),
]
