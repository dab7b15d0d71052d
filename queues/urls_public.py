from django.urls import path

from . import views_public as views

app_name = "queues_public"
urlpatterns = [
    path("", views.index, name="index"),
    path("lookup/", views.lookup, name="lookup"),  # application number + IIN, POST only for the answer
    path("lookup.json", views.lookup_json, name="lookup_json"),  # the same, as JSON for apps (POST only)
    path("verify_tool.py", views.verify_tool, name="verify_tool"),
    path("<slug:provider_code>/<slug:list_code>/", views.list_page, name="list"),
    path("<slug:provider_code>/<slug:list_code>/snapshots/<int:snapshot_id>/<slug:kind>", views.snapshot_file,
         name="snapshot_file"),
]
