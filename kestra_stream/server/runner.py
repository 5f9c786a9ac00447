"""Process assembly: the roles of one process (executor, worker, indexer) around one queue, plus
heartbeats, liveness tracking, the flows cache and the management port.

The executor role runs three transactional processors: the executor itself and the two flow-keyed
ones (concurrency counter, Flow-trigger preconditions; ``executor/keyed.py``). Their
``transactional.id`` derives from the process's stable :class:`InstanceIdentity`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

from kestra_stream.config import Config
from kestra_stream.executor.core import WorkerGroups
from kestra_stream.executor.keyed import CONCURRENCY, PRECONDITIONS, KeyedProcessor
from kestra_stream.executor.processor import ExecutorProcessor, Handler, ProcessorOptions
from kestra_stream.flows import FlowValidationError, global_plugin_defaults, parse_flow
from kestra_stream.flows_cache import DEFAULT_TENANT, FlowCache, FlowSource, publish_flow
from kestra_stream.indexer import Indexer, IndexerOptions
from kestra_stream.kv import StorageKVStore
from kestra_stream.queue import KafkaQueue, MemoryQueue, Queue, queue_from_config
from kestra_stream.repository import MemoryRepository
from kestra_stream.runtime import rendering_engine
from kestra_stream.runtime.process_services import WorkerServices, bind_worker_services
from kestra_stream.scheduler.service import Scheduler
from kestra_stream.server.instances import (
    Heartbeater,
    InstanceIdentity,
    LivenessTracker,
    ServiceRole,
    ServiceState,
    new_instance_id,
)
from kestra_stream.server.management import ManagementServer
from kestra_stream.server.settings import ServerSettings
from kestra_stream.storage import Storage, storage_from_config
from kestra_stream.worker import Worker, WorkerOptions
from kestra_stream.worker._control import WorkerControlPlane

if TYPE_CHECKING:
    from kestra_stream.repository import ElasticsearchRepository

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class ServerPlan:
    """Which roles this process runs."""

    executor: bool = True
    worker: bool = True
    worker_threads: int = 0
    worker_group: str | None = None
    flows_path: Path | None = None
    """YAML flows published to the flows topic at start (``server local``/``standalone -f``)."""
    management: bool = True
    indexer: bool = False
    """Run the indexer into the repository (``kestra.repository.type``; memory by default on the
    memory queue, else Elasticsearch), exposed as :attr:`Server.repository`."""
    scheduler: bool = False
    """Run the scheduler (``server scheduler``, embedded in ``standalone`` and ``local``)."""

    @property
    def roles(self) -> tuple[ServiceRole, ...]:
        if self.executor and self.worker:
            return (ServiceRole.STANDALONE,)
        return tuple(
            role
            for role, on in (
                (ServiceRole.EXECUTOR, self.executor),
                (ServiceRole.WORKER, self.worker),
                (ServiceRole.INDEXER, self.indexer),
                (ServiceRole.SCHEDULER, self.scheduler),
            )
            if on
        )


def default_handler(
    queue: Queue, storage: Storage, config: Config | None = None, worker_groups: WorkerGroups | None = None
) -> Handler:
    """The core with an engine whose ``kv()``/``read()``/… reach this process's storage (the core
    itself does no I/O: the services are the shell's, injected through the engine)."""
    from kestra_stream.executor.core import CoreSettings, handle

    kestra = {  # {{ kestra.url }} and {{ kestra.environment }}
        name: str(value)
        for name, value in (
            ("url", config.get("kestra.url") if config else None),
            ("environment", config.get("kestra.environment.name") if config else None),
        )
        if value
    }
    prefix = str((config.get("kestra.variables.env-vars-prefix") if config else None) or "ENV_")
    settings = CoreSettings(
        engine=rendering_engine(storage=storage),
        message_limit=queue.message_limit,
        envs={
            name[len(prefix) :].lower(): value
            for name, value in os.environ.items()
            if name.startswith(prefix)
        },
        kestra=kestra,
        worker_groups=worker_groups,
    )
    return functools.partial(handle, settings=settings)


class Server:
    def __init__(
        self,
        *,
        config: Config,
        plan: ServerPlan,
        queue: Queue | None = None,
        handler: Handler | None = None,
        settings: ServerSettings | None = None,
    ) -> None:
        self._config = config
        self._plan = plan
        self._settings = settings or ServerSettings.from_config(config)
        groups = [plan.worker_group] if plan.worker_group else []
        self._queue = queue or queue_from_config(config, worker_groups=groups)
        self._handler = handler
        self.instance_id = new_instance_id()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._worker_stop = threading.Event()
        self._processor: ExecutorProcessor | None = None
        self._keyed: list[KeyedProcessor[Any, Any]] = []
        self._identity: InstanceIdentity | None = None
        self._repository: MemoryRepository | ElasticsearchRepository | None = None
        self._indexer: Indexer | None = None
        self._worker: Worker | None = None
        self._control: WorkerControlPlane | None = None
        self._scheduler: Scheduler | None = None
        self._scheduler_identity: InstanceIdentity | None = None
        self._flows: FlowCache | None = None
        self._tracker: LivenessTracker | None = None
        self._management: ManagementServer | None = None
        # Host-scoped (never the configured instance-id, which several workers of a test may share):
        # the group member name of the worker and indexer, and how a restarted worker proves in its
        # heartbeat that the previous holder of the name is dead.
        self._member_identity = (
            InstanceIdentity.claim(role="worker" if plan.worker else "indexer")
            if plan.worker or plan.indexer
            else None
        )
        self._heartbeat = Heartbeater(
            producer=self._queue.producer(),
            instance_id=self.instance_id,
            roles=plan.roles,
            worker_group=plan.worker_group,
            interval=self._settings.heartbeat_interval,
            identity=self._member_identity.name if self._member_identity is not None else "",
        )

    @property
    def queue(self) -> Queue:
        return self._queue

    @property
    def processor(self) -> ExecutorProcessor | None:
        return self._processor

    @property
    def worker(self) -> Worker | None:
        return self._worker

    @property
    def scheduler(self) -> Scheduler | None:
        return self._scheduler

    @property
    def flows(self) -> FlowCache | None:
        return self._flows

    @property
    def keyed_processors(self) -> tuple[KeyedProcessor[Any, Any], ...]:
        return tuple(self._keyed)

    @property
    def identity(self) -> str | None:
        """The stable instance name behind the transactional ids (executor role only)."""
        return self._identity.name if self._identity is not None else None

    @property
    def indexer(self) -> Indexer | None:
        return self._indexer

    @property
    def repository(self) -> MemoryRepository | ElasticsearchRepository | None:
        """What the indexer of this process writes (``ServerPlan.indexer``), else None.

        A :class:`MemoryRepository` is thread-safe and may be read from any event loop (the web app of
        ``server local``); an Elasticsearch one belongs to the indexer thread's loop, so a web app
        builds its own client from the configuration.
        """
        return self._repository

    @property
    def management_port(self) -> int | None:
        return self._management.port if self._management else None

    # -- start / stop --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._plan.management:  # bound first: a taken port stops the process before anything runs
            self._management = ManagementServer(port=self._settings.management_port, health=self.health)
        if isinstance(self._queue, KafkaQueue):
            self._ensure_topics()
        if self._plan.flows_path is not None:
            publish_flows(self._queue, self._plan.flows_path)
        self._heartbeat.start()
        if self._plan.executor:
            self._start_executor()
        if self._plan.worker:
            self._start_worker()
        if self._plan.indexer:
            self._start_indexer()
        if self._plan.scheduler:
            self._start_scheduler()
        if self._management is not None:
            self._management.start()
        log.info(
            "server.started",
            instance_id=self.instance_id,
            roles=[role.value for role in self._plan.roles],
            management_port=self.management_port,
        )

    def _ensure_topics(self) -> None:
        from kestra_stream.topics.admin import TopicAdmin
        from kestra_stream.topics.apply import ApplyOptions, apply_catalog

        assert isinstance(self._queue, KafkaQueue)
        options = self._queue.options
        report = apply_catalog(
            options.catalog, TopicAdmin(client_properties=options.client_properties), ApplyOptions()
        )
        if report.has_drift:
            log.warning("server.topic_drift", detail="run `kestra-stream topics apply` for details")

    def _start_executor(self) -> None:
        self._flows = FlowCache(queue=self._queue, defaults=global_plugin_defaults(self._config))
        self._flows.catch_up()
        self._tracker = LivenessTracker(
            queue=self._queue,
            timeout=self._settings.liveness_timeout,
            initial_delay=self._settings.liveness_initial_delay,
            strategy=self._settings.worker_task_restart_strategy.value,
            grace_period=self._settings.termination_grace_period,
        )
        self._tracker.catch_up()
        self._identity = InstanceIdentity.claim(
            role=self._plan.roles[0].value, configured=self._settings.instance_id
        )
        log.info("server.identity", identity=self._identity.name)
        self._processor = ExecutorProcessor(
            queue=self._queue,
            handler=self._handler
            or default_handler(self._queue, self._storage(), self._config, worker_groups=self._tracker),
            flows=self._flows,
            options=ProcessorOptions(
                transactional_id=self._transactional_id("executor"), static_membership=self._static
            ),
        )
        self._processor.start()
        self._spawn("executor", self._processor.run, self._stop)
        for spec in (CONCURRENCY, PRECONDITIONS):
            keyed: KeyedProcessor[Any, Any] = KeyedProcessor(
                queue=self._queue,
                spec=spec,
                transactional_id=self._transactional_id(spec.name),
                static_membership=self._static,
            )
            keyed.start()
            self._keyed.append(keyed)
            self._spawn(spec.name, keyed.run, self._stop)
        self._spawn("executor-services", self._services)

    @property
    def _static(self) -> bool:
        """Static group membership (Kafka only): members named after stable identities."""
        return isinstance(self._queue, KafkaQueue)

    def _member_name(self) -> str | None:
        if not self._static or self._member_identity is None:
            return None
        return self._queue_group_id(self._member_identity.name)

    def _queue_group_id(self, name: str) -> str:
        return self._queue.group_id(name) if isinstance(self._queue, KafkaQueue) else name

    def _transactional_id(self, name: str) -> str:
        """``<consumer prefix><name>-<identity>``: stable across restarts, distinct per deployment."""
        assert self._identity is not None
        return self._queue_group_id(f"{name}-{self._identity.name}")

    def _start_indexer(self) -> None:
        kind = str(
            self._config.get("kestra.repository.type")
            or ("memory" if isinstance(self._queue, MemoryQueue) else "elasticsearch")
        ).lower()
        options = IndexerOptions.from_config(self._config)
        if kind == "memory":
            self._repository = MemoryRepository()
            # A memory repository is this process's own: so is its consumer group.
            options = IndexerOptions(
                batch_size=options.batch_size,
                batch_duration=options.batch_duration,
                group_id=f"indexer-{self.instance_id}",
            )
        else:
            from kestra_stream.repository import ElasticsearchRepository

            self._ensure_indexes()
            self._repository = ElasticsearchRepository.from_config(self._config)
            options = replace(options, group_instance_id=self._member_name())
        self._indexer = Indexer(queue=self._queue, writer=self._repository.writer, options=options)
        self._spawn("indexer", self._run_indexer)

    def _ensure_indexes(self) -> None:
        """Missing indices and templates are created at start, like topics (``indexes apply``)."""
        from kestra_stream.indexes.apply import IndexApplyOptions, apply_indexes
        from kestra_stream.indexes.catalog import load_index_catalog
        from kestra_stream.indexes.client import elasticsearch_client

        client = elasticsearch_client(self._config)
        try:
            report = apply_indexes(load_index_catalog(self._config), client, IndexApplyOptions())
        finally:
            client.close()
        if report.has_drift:
            log.warning("server.index_drift", detail="run `kestra-stream indexes apply` for details")

    def _run_indexer(self) -> None:
        """The indexer is asyncio: its own event loop in its own thread, until the server stops."""
        indexer, repository = self._indexer, self._repository
        assert indexer is not None and repository is not None

        async def main() -> None:
            task = asyncio.create_task(indexer.run(), name="indexer")
            while not self._stop.is_set() and not task.done():
                await asyncio.sleep(0.1)
            indexer.stop()
            try:
                await asyncio.wait_for(task, 30)
            finally:
                await repository.close()

        try:
            asyncio.run(main())
        except Exception:
            log.exception("server.indexer_failed")

    def _services(self) -> None:
        """Flows cache and liveness: followed here, decisions go to the processor's own thread."""
        assert self._flows is not None and self._tracker is not None and self._processor is not None
        next_check = 0.0
        while not self._stop.is_set():
            try:
                self._flows.update(0.05)
                self._tracker.update(0.05)
                if time.monotonic() >= next_check or self._tracker.take_replacement():
                    next_check = time.monotonic() + self._settings.liveness_interval
                    dead = self._tracker.dead_workers()
                    if dead:
                        self._processor.report_dead_workers(dead)
            except Exception:
                log.exception("server.services_failed")
                self._stop.wait(1.0)

    def _start_scheduler(self) -> None:
        """Its ``transactional.id`` derives from a stable identity (``<host>-scheduler-<n>``), so a
        restarted scheduler fences its dead predecessor's open transaction at once."""
        from kestra_stream.scheduler.core import SchedulerSettings
        from kestra_stream.scheduler.core.types import recover_default_from
        from kestra_stream.scheduler.service import SchedulerOptions

        self._scheduler_identity = InstanceIdentity.claim(
            role="scheduler", configured=self._settings.instance_id
        )
        name = self._scheduler_identity.name
        instance_id = self._queue_group_id(name)
        storage = self._storage()
        settings = SchedulerSettings(
            engine=rendering_engine(storage=storage),
            recover_missed_schedules=recover_default_from(self._config.get("kestra.plugins.configurations")),
        )
        self._scheduler = Scheduler(
            queue=self._queue,
            # polling evaluations go to the workers (``worker-jobs``), as in Kestra
            options=SchedulerOptions(
                instance_id=instance_id,
                settings=settings,
                polling_on_workers=True,
                static_membership=self._static,
            ),
            storage=storage,
            defaults=global_plugin_defaults(self._config),
        )
        log.info("server.scheduler_identity", identity=name)
        self._spawn("scheduler", self._scheduler.run, self._stop)

    def _start_worker(self) -> None:
        storage = self._storage()
        self._control = self._control_plane()
        bind_worker_services(
            WorkerServices(queue=self._queue, defaults=tuple(global_plugin_defaults(self._config)))
        )
        self._worker = Worker(
            queue=self._queue,
            storage=storage,
            kv=StorageKVStore(storage=storage),
            control=self._control,
            options=WorkerOptions(
                worker_id=self.instance_id,
                worker_group=self._plan.worker_group,
                threads=self._plan.worker_threads,
                grace_period=self._settings.termination_grace_period,
                group_instance_id=self._member_name(),
            ),
        )
        self._spawn("worker", self._worker.run, self._worker_stop)

    def _control_plane(self) -> WorkerControlPlane:
        """The repository of the control-plane tasks: this process's indexer's memory one, else a
        client of its own on the configured one (Elasticsearch)."""
        kind = str(
            self._config.get("kestra.repository.type")
            or ("memory" if isinstance(self._queue, MemoryQueue) else "elasticsearch")
        ).lower()
        producer = self._queue.producer()
        if kind == "memory":
            return WorkerControlPlane(producer=producer, repository=lambda: self._repository)
        config = self._config

        def elasticsearch() -> ElasticsearchRepository:
            # imported here: only a worker running a control-plane task loads the client library
            from kestra_stream.repository import ElasticsearchRepository

            return ElasticsearchRepository.from_config(config)

        return WorkerControlPlane(producer=producer, repository=elasticsearch, owns_repository=True)

    def _storage(self) -> Storage:
        config = self._config
        if str(config.get("kestra.storage.type", "local")) == "local" and not config.get(
            "kestra.storage.local.base-path"
        ):
            base = Path(tempfile.gettempdir()) / "kestra-stream" / "storage"
            log.info("server.local_storage", base_path=str(base))
            config = config.with_overrides({"kestra.storage.local.base-path": str(base)})
        return storage_from_config(config)

    def _spawn(self, name: str, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def health(self) -> dict[str, bool]:
        return {thread.name: thread.is_alive() for thread in self._threads}

    def stop(self) -> None:
        """Graceful: stop consuming, let running tasks finish up to the grace period, hand back the rest."""
        self._heartbeat.beat(ServiceState.TERMINATING)
        self._worker_stop.set()
        self._stop.set()
        for thread in self._threads:
            thread.join(self._settings.termination_grace_period + 30)
        if self._processor is not None:
            self._processor.close()
        for keyed in self._keyed:
            keyed.close()
        for identity in (self._identity, self._scheduler_identity, self._member_identity):
            if identity is not None:
                identity.release()
        for closable in (self._flows, self._tracker, self._control):
            if closable is not None:
                closable.close()
        self._heartbeat.stop(ServiceState.TERMINATED_GRACEFULLY)
        if self._management is not None:
            self._management.stop()
        self._queue.close()
        log.info("server.stopped", instance_id=self.instance_id)

    def wait(self) -> None:
        """Block until SIGTERM/SIGINT, then stop gracefully."""
        stopping = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("server.signal", signal=signal.Signals(signum).name)
            stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not stopping.wait(0.5):
            pass
        self.stop()


def publish_flows(queue: Queue, path: Path) -> int:
    """Publish every ``*.yml``/``*.yaml`` flow of ``path`` (revision 1 unless already newer)."""
    producer = queue.producer()
    count = 0
    files: Iterable[Path] = sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")]) if path.is_dir() else [path]
    for file in files:
        source = file.read_text()
        try:
            flow = parse_flow(source)
        except FlowValidationError as error:
            log.error("server.invalid_flow", file=str(file), error=str(error))
            continue
        publish_flow(
            producer,
            FlowSource(
                tenant_id=flow.tenant_id or DEFAULT_TENANT,
                namespace=flow.namespace,
                id=flow.id,
                revision=flow.revision or 1,
                source=source,
            ),
        )
        count += 1
    producer.flush(10)
    log.info("server.flows_published", path=str(path), flows=count)
    return count
