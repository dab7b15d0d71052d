from django.urls import path

from . import views

app_name = "signatures"
urlpatterns = [
    path("staff/cases/<str:number>/sign/prepare/", views.prepare_decision, name="prepare_decision"),
]
