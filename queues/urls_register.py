from django.urls import path

from . import views_register as views

app_name = "queues_register"
# Mounted at staff/queue/, before publications/ and inventory/: every page here has its own first segment
# ("lists/", "entries/", "requests/") so none of them can swallow another area's URLs.
urlpatterns = [
    path("", views.lists, name="lists"),
    path("lists/<slug:list_code>/", views.list_detail, name="list"),
    path("entries/<str:application_number>/", views.entry_detail, name="entry"),
    path("entries/<str:application_number>/removal/", views.propose_removal, name="propose_removal"),
    path("entries/<str:application_number>/restoration/", views.propose_restoration, name="propose_restoration"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/<slug:kind>/<int:pk>/decide/", views.decide, name="decide"),
    path("requests/<slug:kind>/<int:pk>/document/", views.request_document, name="request_document"),
]
