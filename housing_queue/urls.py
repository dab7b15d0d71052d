from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("", include("applications.urls")),
    path("", include("documents.urls")),
    path("", include("deadlines.urls")),
    path("", include("signatures.urls")),
    path("queue/", include("queues.urls_public")),  # public lists and position lookup, no login
    path("staff/queue/", include("queues.urls_register")),  # lists with numbers, removals, restorations
    path("staff/queue/publications/", include("queues.urls_publication")),
    path("", include("queues.urls_inventory")),  # staff/queue/inventory/… and the citizen's answer
    path("", include("allocation.urls")),  # staff/allocation/…, the public register of skips, offers in the cabinet
    path("", include("privacy.urls")),  # cabinet/my-data/: the citizen's download of everything held about them
    path("django-admin/", admin.site.urls),
]

handler404 = "housing_queue.errors.not_found"
handler403 = "housing_queue.errors.forbidden"
handler500 = "housing_queue.errors.server_error"
