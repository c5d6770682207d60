"""The Celery app. Training tasks live in trainer/tasks.py and run on the `training` queue."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("layerlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
