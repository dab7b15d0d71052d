from django.urls import path

from . import views

app_name = "deadlines"
urlpatterns = [
    path("staff/dashboard/", views.dashboard, name="dashboard"),
    path("staff/alerts/", views.alerts, name="alerts"),
    path("staff/deadlines/", views.profiles, name="profiles"),
    path("staff/deadlines/profiles/<slug:code>/", views.profile, name="profile"),
    path("staff/deadlines/calendar/", views.calendar, name="calendar"),
    path("staff/deadlines/calendar/<int:pk>/remove/", views.calendar_remove, name="calendar_remove"),
]
