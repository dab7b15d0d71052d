from django.urls import path

from signatures.views import verify

from . import views

app_name = "documents"
urlpatterns = [
    path("documents/<str:number>.pdf", views.download, name="download"),
    path("verify/", verify, name="verify"),  # number + code, or an uploaded PDF with its signatures
]
