from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("documents/<str:number>.pdf", views.download, name="download"),
    path("verify/", views.verify, name="verify"),
]
