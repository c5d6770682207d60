"""The download task: fetch a downloadable built-in into the shared cache on a worker, never in a
web request. Its progress and any failure go to the cache's status file, which the page polls."""
import logging

from celery import shared_task

from .datasets import DatasetError

log = logging.getLogger(__name__)


@shared_task(name="trainer.fetch_tasks.fetch_dataset", ignore_result=True)
def fetch_dataset(key: str) -> None:
    from .dataset_store import mark_failed, prepare_dataset

    try:
        prepare_dataset(key)
    except DatasetError as exc:  # already written to the status file, in a sentence for the page
        log.warning("fetching %s failed: %s", key, exc)
    except Exception as exc:
        mark_failed(key, f"The download of {key} failed unexpectedly ({type(exc).__name__}: {exc}).")
        raise
