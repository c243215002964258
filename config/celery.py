import logging
import os
import threading
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)

app = Celery("segue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Signal handlers: the request id into task headers and logs; task failures into /metrics.
import config.metrics  # noqa: E402, F401
import config.request_id  # noqa: E402, F401

# --- the analysis worker warms librosa up once ------------------------------------------------
# The first librosa call in a process compiles numba code (~25 s). A worker consuming the
# "analysis" queue (`make run`'s library worker) warms up each pool process at start, in a
# thread: worker_process_init must return within a few seconds, and the first task simply waits
# for the warm-up to finish.
_consumes_analysis_queue = False


@signals.celeryd_init.connect
def _note_queues(
    sender: object = None, conf: object = None, options: dict | None = None, **kwargs: object
) -> None:
    global _consumes_analysis_queue
    queues = (options or {}).get("queues") or ""
    names = queues.split(",") if isinstance(queues, str) else list(queues)
    _consumes_analysis_queue = "analysis" in {str(name).strip() for name in names}


def analysis_warm_up() -> None:
    try:
        from catalog.audio.analysis import warm_up
    except ImportError:  # the analysis module is not installed in this build
        logger.warning("Audio analysis is not available; no warm-up")
        return
    started = time.monotonic()
    warm_up()
    logger.info("Audio analysis warmed up in %.1f s", time.monotonic() - started)


@signals.worker_process_init.connect
def _warm_up_analysis(**kwargs: object) -> None:
    if _consumes_analysis_queue:
        threading.Thread(target=analysis_warm_up, name="analysis-warm-up", daemon=True).start()
