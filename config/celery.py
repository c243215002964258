import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("segue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Experiments and monitoring keep their tasks (drift report, task-run records) beside the desk's.
app.autodiscover_tasks(["editorial"], related_name="ops_tasks")

# Signal handlers: the request id into task headers and logs; task failures into /metrics.
import config.metrics  # noqa: E402, F401
import config.request_id  # noqa: E402, F401
