from django.urls import path

from reports.refresh import views

urlpatterns = [
    path("", views.data_page, name="data"),
    path("uploads/", views.upload_files, name="upload-files"),
    path("uploads/<uuid:upload_id>/", views.upload_page, name="upload"),
    path("uploads/<uuid:upload_id>/status", views.upload_status, name="upload-status"),
    path("uploads/<uuid:upload_id>/apply", views.confirm_upload, name="confirm-upload"),
    path("uploads/<uuid:upload_id>/discard", views.discard_upload, name="discard-upload"),
    path("sync/", views.sync_now, name="sync-now"),
    path("sync/<uuid:task_id>/", views.sync_page, name="sync"),
    path("sync/<uuid:task_id>/status", views.sync_status, name="sync-status"),
]
