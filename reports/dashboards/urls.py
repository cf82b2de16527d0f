from django.http import HttpResponse
from django.urls import path


def overview(request):
    return HttpResponse("Backup Report")


urlpatterns = [path("", overview, name="overview")]
