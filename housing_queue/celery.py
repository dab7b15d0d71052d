"""The Celery app; tasks are thin wrappers around services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "housing_queue.settings.local")

app = Celery("housing_queue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
