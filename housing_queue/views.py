"""Project-level pages: home, health check, CSRF failure."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache


def home(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    return render(request, "home.html")


@never_cache
def healthz(request):
    """200 when the database answers; Redis and the worker are reported, not required."""
    status = {"db": "ok", "redis": "absent", "worker": "in-process" if settings.CELERY_TASK_ALWAYS_EAGER else "unknown"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["db"] = "error"
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
            client.ping()
            status["redis"] = "ok"
            status["worker"] = _worker_status()
        except Exception:
            status["redis"] = "error"
    return JsonResponse(status, status=200 if status["db"] == "ok" else 503)


def _worker_status() -> str:
    from housing_queue.celery import app

    try:
        replies = app.control.ping(timeout=0.5)
    except Exception:
        return "unknown"
    return "ok" if replies else "absent"


def csrf_failure(request, reason=""):
    return render(
        request,
        "errors/csrf.html",
        {"message": _("Your form has expired or was sent twice. Please go back, reload the page and try again.")},
        status=403,
    )
