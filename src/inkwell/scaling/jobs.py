"""Background jobs: on Redis through RQ when INKWELL_REDIS_URL is set, in process without it.

A job is a module-level function declared with `@job(...)`, which states its
retry policy: how many times a failure is tried again, and after how many
seconds each time (back-off), and how long one run may take. The rest of the
code calls `enqueue(function, *args, **kwargs)` with plain values (they travel
as JSON, so a job never carries an object whose class changed in an upgrade),
from anywhere that has an app context: a request, a command, another job.

A job is an edge, like a command: it runs in an app context of its own, with
a session of its own, on the primary database, and opens its own units of
work (`transactions.unit_of_work`), committing in them; a job that commits in
batches (the search reindex) opens one per batch. So a job must be safe to
run again from the start after it failed part of the way through.

With Redis, `inkwell worker` runs the jobs (`work`): an RQ worker whose
scheduler puts a failed job back on the queue once its back-off interval has
passed; a job that fails every try stays in RQ's failed-job registry, which
`failed` lists and `retry` requeues. Without Redis, each job runs in a thread
of the process that enqueued it, tried again after the same intervals; a job
that fails every try is logged (error level) and dropped, and a job still
running when its process exits is cut short (its open unit of work rolls back).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, ParamSpec, TypeVar

import redis
from flask import Flask, current_app
from rq import Queue, Retry, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.executions import Execution
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result
from rq.serializers import JSONSerializer

from inkwell.config import Settings

QUEUE = "inkwell"
BACKOFF_SECONDS = (10, 60, 300)  # three more tries: after 10 s, a minute, five minutes
TIMEOUT_SECONDS = 600
POLICY = "_inkwell_job_policy"
logger = logging.getLogger("inkwell.jobs")

P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])


class JobsUnavailable(Exception):
    """The job queue cannot be used: no Redis configured, or Redis not answering."""


class UnknownJob(Exception):
    """No failed job has the id given."""


@dataclass(frozen=True, slots=True)
class Policy:
    """How a job is tried: `backoff[i]` seconds before try i + 2; at most `timeout`
    seconds a run (enforced by the worker, not in process)."""

    backoff: tuple[int, ...]
    timeout: int

    def retry(self) -> Retry | None:
        """RQ's form of the policy; None for a job tried once."""
        return Retry(max=len(self.backoff), interval=list(self.backoff)) if self.backoff else None


def job(
    *, backoff: Sequence[int] = BACKOFF_SECONDS, timeout: int = TIMEOUT_SECONDS
) -> Callable[[F], F]:
    """Declare a module-level function a job, tried again after each of `backoff`'s
    intervals (seconds) when it raises, each run at most `timeout` seconds."""
    if any(seconds < 1 for seconds in backoff) or timeout < 1:
        raise ValueError("back-off intervals and the timeout are whole seconds, at least 1")

    def declare(function: F) -> F:
        if "<locals>" in function.__qualname__:
            raise TypeError(f"{function.__qualname__}: a job must be a module-level function")
        setattr(function, POLICY, Policy(tuple(backoff), timeout))
        return function

    return declare


def policy_of(function: Callable[..., Any]) -> Policy:
    """The policy `function` was declared with; TypeError if it is not a job."""
    policy = getattr(function, POLICY, None)
    if not isinstance(policy, Policy):
        raise TypeError(f"{function.__module__}.{function.__qualname__} is not declared with @job")
    return policy


@dataclass(frozen=True, slots=True)
class Enqueued:
    """A job handed over: its id, and whether it went to Redis or runs in this process."""

    id: str
    on_redis: bool
    _thread: threading.Thread | None = field(default=None, repr=False)
    _succeeded: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a job running in this process to end, every try included; whether it
        succeeded (False too if it still runs after `timeout`). A job on Redis is the
        worker's: ValueError."""
        if self._thread is None:
            raise ValueError(f"job {self.id} is on Redis: `inkwell worker` runs it")
        self._thread.join(timeout)
        return self._succeeded.is_set()


def enqueue(function: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> Enqueued:
    """Run the job `function(*args, **kwargs)` in the background: on the Redis queue
    when INKWELL_REDIS_URL is set, else in a thread of this process. Call it in an
    app context, after the commit of whatever the job must see.

    Raises JobsUnavailable when Redis is configured but does not answer.
    """
    return _enqueue(0, function, args, kwargs)


def enqueue_later(
    seconds: int, function: Callable[P, object], *args: P.args, **kwargs: P.kwargs
) -> Enqueued:
    """`enqueue`, to run no sooner than `seconds` from now (on Redis, the worker's
    scheduler queues it then)."""
    return _enqueue(seconds, function, args, kwargs)


def _enqueue(
    delay: int, function: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Enqueued:
    policy = policy_of(function)
    # Plain values only, and the same ones in process as through Redis: a job that
    # works without Redis must not fail on it for its arguments.
    try:
        plain_args, plain_kwargs = json.loads(json.dumps([args, kwargs]))
    except (TypeError, ValueError) as error:
        raise TypeError(f"a job's arguments must be plain JSON values: {error}") from None
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if _settings(app).redis_url is None:
        return _in_process(app, policy, delay, function, tuple(plain_args), plain_kwargs)
    jobs = job_queue(app)
    options = {"job_timeout": policy.timeout, "retry": policy.retry()}
    with jobs.answering():
        if delay:
            queued = jobs.queue.enqueue_in(
                timedelta(seconds=delay), function, args=args, kwargs=kwargs, **options
            )
        else:
            queued = jobs.queue.enqueue_call(
                func=function,
                args=args,
                kwargs=kwargs,
                timeout=policy.timeout,
                retry=policy.retry(),
            )
    logger.debug("job %s (%s) queued", queued.id, queued.func_name)
    return Enqueued(queued.id, on_redis=True)


def _settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["inkwell.settings"]
    return settings


def job_queue(app: Flask) -> JobQueue:
    """The app's queue on Redis (one connection pool per app); JobsUnavailable naming
    the setting when there is no Redis."""
    url = _settings(app).redis_url
    if url is None:
        raise JobsUnavailable(
            "INKWELL_REDIS_URL is not set: without Redis there is no job queue "
            "(jobs run in the process that enqueues them)"
        )
    queue: JobQueue | None = app.extensions.get("inkwell.jobs")
    if queue is None:
        queue = app.extensions["inkwell.jobs"] = JobQueue(url)
    return queue


# In process ---------------------------------------------------------------------------


def _in_process(
    app: Flask,
    policy: Policy,
    delay: int,
    function: Callable[..., object],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Enqueued:
    job_id = uuid.uuid4().hex
    succeeded = threading.Event()
    thread = threading.Thread(
        target=_tries,
        args=(app, policy, delay, job_id, succeeded, function, args, kwargs),
        name=f"inkwell-job-{job_id[:8]}",
        daemon=True,
    )
    thread.start()
    return Enqueued(job_id, on_redis=False, _thread=thread, _succeeded=succeeded)


def _tries(
    app: Flask,
    policy: Policy,
    delay: int,
    job_id: str,
    succeeded: threading.Event,
    function: Callable[..., object],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """Run the job in an app context of its own until it succeeds or its tries are spent."""
    name = f"{function.__module__}.{function.__qualname__}"
    waits: list[int | None] = [*policy.backoff, None]
    time.sleep(delay)
    for attempt, wait in enumerate(waits, start=1):
        try:
            with app.app_context():
                function(*args, **kwargs)
        except Exception:
            if wait is None:
                logger.exception("job %s (%s) failed %d times, given up", job_id, name, attempt)
                return
            logger.warning(
                "job %s (%s) failed, trying again in %d s", job_id, name, wait, exc_info=True
            )
            time.sleep(wait)
        else:
            succeeded.set()
            return


# On Redis -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FailedJob:
    """A job that failed every try, as `inkwell jobs` shows it."""

    id: str
    function: str
    failed_at: datetime | None
    error: str
    retries_left: int


class JobQueue:
    """Inkwell's queue on RQ, for the worker and for operators."""

    def __init__(self, url: str) -> None:
        self.connection = redis.Redis.from_url(url, socket_connect_timeout=2)
        self.url = url
        self.queue = Queue(QUEUE, connection=self.connection, serializer=JSONSerializer)
        self.failed_registry = FailedJobRegistry(queue=self.queue)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Turn Redis failures in the block into JobsUnavailable."""
        try:
            yield
        except redis.RedisError as error:
            # redis-py's message names the server ("Error 111 connecting to host:port. ...").
            raise JobsUnavailable(f"INKWELL_REDIS_URL: cannot use Redis: {error}") from None

    def check(self) -> None:
        """JobsUnavailable unless Redis answers."""
        with self.answering():
            self.connection.ping()

    def counts(self) -> dict[str, int]:
        """How many jobs wait, wait for a retry's time, run, and have failed."""
        with self.answering():
            return {
                "queued": self.queue.count,
                "scheduled": self.queue.scheduled_job_registry.count,
                "running": self.queue.started_job_registry.count,
                "failed": self.failed_registry.count,
            }

    def failed(self) -> list[FailedJob]:
        """The failed jobs, most recent first."""
        with self.answering():
            ids = self.failed_registry.get_job_ids(desc=True)
            found = Job.fetch_many(ids, connection=self.connection, serializer=JSONSerializer)
            return [
                FailedJob(
                    id=each.id,
                    function=each.func_name or "?",
                    failed_at=each.ended_at,
                    error=_last_line(_exception(each)),
                    retries_left=each.retries_left or 0,
                )
                for each in found
                if each is not None
            ]

    def retry(self, job_id: str) -> None:
        """Put a failed job back on the queue to run once more; UnknownJob if no failed
        job has that id."""
        with self.answering():
            try:
                self.failed_registry.requeue(job_id)
            except (NoSuchJobError, InvalidJobOperation):
                raise UnknownJob(
                    f"no failed job has the id {job_id!r} (`inkwell jobs` lists them)"
                ) from None

    def retry_all(self) -> int:
        """Requeue every failed job; how many."""
        requeued = 0
        for failed in self.failed():
            try:
                self.retry(failed.id)
            except UnknownJob:  # retried or expired meanwhile
                continue
            requeued += 1
        return requeued

    def work(self, app: Flask, *, burst: bool) -> None:
        """Run jobs until stopped (SIGTERM or SIGINT: the running job is finished first),
        or with `burst` until none is waiting. Retries whose time has come are queued
        by RQ's scheduler, a process of its own beside the worker (in burst mode, once,
        at the start). JobsUnavailable if Redis is unreachable or the worker stopped
        for any other reason than being asked to."""
        with self.answering():
            self.connection.ping()
            worker = AppWorker(
                app, [self.queue], connection=self.connection, serializer=JSONSerializer
            )
            worker.work(
                burst=burst, with_scheduler=True, logging_level=app.config["INKWELL_LOG_LEVEL"]
            )
        if not burst and not worker.asked_to_stop:
            raise JobsUnavailable("the worker stopped without being asked to; its log says why")


def _exception(failed: Job) -> str | None:
    """The traceback of the job's last run, if that run raised."""
    result = failed.latest_result()
    return result.exc_string if result is not None and result.type == Result.Type.FAILED else None


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(no exception recorded)"


class AppWorker(Worker):
    """RQ's worker (each job in a forked process of its own, so a crash or a leak
    ends with the job), running each job in an app context of `app`.

    The worker itself never touches the database: each job's process opens its
    own connections and they end with it.
    """

    def __init__(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self.asked_to_stop = False

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self.app.app_context():
            return bool(super().perform_job(job, queue, execution))

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.asked_to_stop = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]
