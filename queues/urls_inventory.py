from django.urls import path

from . import views_inventory as views

app_name = "queues_inventory"
urlpatterns = [
    path("staff/queue/inventory/", views.campaigns, name="campaigns"),
    path("staff/queue/inventory/<int:pk>/", views.campaign, name="campaign"),
    path("staff/queue/inventory/<int:pk>/close/", views.close, name="close"),
    path("staff/queue/inventory/<int:pk>/resume/", views.resume, name="resume"),
    path("staff/queue/inventory/findings/<int:pk>/", views.finding, name="finding"),
    path("staff/queue/inventory/findings/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("staff/queue/inventory/findings/<int:pk>/propose-removal/", views.propose_removal, name="propose_removal"),
    path("cabinet/inventory/<int:pk>/", views.answer, name="answer"),  # the holder's answer
]
