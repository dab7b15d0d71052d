from django.urls import path

from . import views_publication as views

app_name = "queues_publication"
urlpatterns = [
    path("", views.index, name="index"),
    path("lists/<slug:code>/publish/", views.publish, name="publish"),
    path("<int:pk>/", views.snapshot, name="snapshot"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/files/<slug:kind>/", views.download, name="download"),
]
