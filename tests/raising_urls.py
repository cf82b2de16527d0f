"""The project's URLs and error handlers, plus two views that fail as a bug would: what
a 500 looks like under /api/ and on a page (tests/test_api_errors.py)."""

from django.urls import path

from backupreport import urls as project


def raises(request):
    raise RuntimeError("a bug in a view")


handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

urlpatterns = [
    path("api/test/raises", raises),
    path("test/raises/", raises),
    *project.urlpatterns,
]
