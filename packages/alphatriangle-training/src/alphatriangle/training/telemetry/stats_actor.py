"""The stats actor: starting it, and getting metric events to it through its restarts.

Ray restarts a dead TrieyeActor (`start_stats_actor` asks it to), but while it is
restarting, calls fail at once (ActorUnavailableError) instead of waiting. So the
calls whose answer we need retry until it is back, and `StatsSender` keeps every
batch of events until the actor has taken it, sending failed batches again with
the next flush: training never waits for metrics, and a restart loses none. A
restarted trieye rewrites `configs.json` with its own settings, so after a restart
the run's configs are sent again. Every event is dated on the driver's wall clock as
it is added (see event_times: the date MLflow shows).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import ray
from ray.exceptions import ActorUnavailableError, RayActorError

from alphatriangle.config import RunContext, TrainConfig

from ..cluster.nodes import driver_node_id, on_driver_node, short_id

if TYPE_CHECKING:
    from trieye import RawMetricEvent

logger = logging.getLogger(__name__)

STATS_ACTOR_MAX_RESTARTS = 20
"""Ray restarts a dead stats actor this often; training goes on without metrics after that."""
MAX_HELD_EVENTS = 200_000
"""Events kept for an actor that stays down; the oldest go first beyond this."""


def start_stats_actor(
    run_context: RunContext, train_config: TrainConfig, mlflow_run_id: str
) -> tuple[Any, str]:
    """The TrieyeActor of the run, restarted by Ray if it dies, always on `mlflow_run_id`.

    trieye's `mlflow.start_run` picks the run up from MLFLOW_RUN_ID, which the
    actor's runtime environment sets again for every restart. The actor is trieye's,
    dating metrics by their events (see event_times).
    """
    # trieye imports MLflow (seconds on a busy machine): imported here, once the self-play
    # workers have started, not when the driver starts.
    from .event_times import EventTimeTrieyeActor
    from .stats_config import build_trieye_config

    trieye_config = build_trieye_config(
        run_context, stats_interval_seconds=train_config.stats_interval_seconds
    )
    name = f"trieye_actor_{run_context.run_name}"
    # It writes MLflow, TensorBoard and configs.json at the driver's paths: on the
    # driver's node only, also when Ray restarts it.
    actor = EventTimeTrieyeActor.options(
        name=name,
        num_cpus=0,
        max_restarts=STATS_ACTOR_MAX_RESTARTS,
        runtime_env={"env_vars": {"MLFLOW_RUN_ID": mlflow_run_id}},
        scheduling_strategy=on_driver_node(),
    ).remote(trieye_config)
    started = ray.get(actor.get_mlflow_run_id.remote(), timeout=120)
    if started != mlflow_run_id:
        raise RuntimeError(
            f"MLflow tracking did not start on run {mlflow_run_id} at "
            f"{run_context.mlflow_tracking_uri} (got {started}); "
            f"see {run_context.logs_dir} for trieye's log"
        )
    logger.info("The stats actor runs on the driver's node %s.", short_id(driver_node_id()))
    return actor, name


def call_stats_actor(actor: Any, method: str, *args: Any, timeout: float = 120.0) -> Any:
    """`ray.get(actor.<method>.remote(*args))`, retried while the actor is restarting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            remaining = max(1.0, deadline - time.monotonic())
            return ray.get(getattr(actor, method).remote(*args), timeout=remaining)
        except ActorUnavailableError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


class StatsSender:
    """Buffers events, ships them without waiting, and re-sends what the actor missed."""

    def __init__(self, actor: Any, run_config: dict[str, Any] | None = None) -> None:
        self.actor = actor
        self.run_config = run_config
        self._queued: deque[RawMetricEvent] = deque(maxlen=MAX_HELD_EVENTS)
        # (reference, events it carries; empty for other calls) of calls not yet answered
        self._in_flight: list[tuple[ray.ObjectRef[Any], list[RawMetricEvent]]] = []
        self._actor_was_down = False

    def add(self, event: RawMetricEvent) -> None:
        """Queue `event`, dated now unless it carries the time of what it measures."""
        from .event_times import stamped

        self._queued.append(stamped(event))

    def flush(self, global_step: int) -> None:
        """Send queued events and ask the actor to log; never blocks on the actor."""
        self._settle(timeout=0.0)
        events = list(self._queued)
        self._queued.clear()
        try:
            if self._actor_was_down and self.run_config is not None:
                self._actor_was_down = False
                self._in_flight.append((self.actor.save_run_config.remote(self.run_config), []))
            if events:
                self._in_flight.append((self.actor.log_batch_events.remote(events), events))
            self._in_flight.append((self.actor.process_and_log.remote(global_step), []))
        except Exception as error:
            logger.warning("Metrics could not reach the stats actor: %s", error)
            self._queued.extend(events)

    def flush_and_wait(self, global_step: int, timeout: float = 120.0) -> None:
        """Deliver everything and have it written, waiting for a restarting actor."""
        try:
            call_stats_actor(self.actor, "get_mlflow_run_id", timeout=timeout)
            self._settle(timeout=timeout)
            if self._actor_was_down and self.run_config is not None:
                call_stats_actor(self.actor, "save_run_config", self.run_config, timeout=timeout)
                self._actor_was_down = False
            events = list(self._queued)
            self._queued.clear()
            if events:
                call_stats_actor(self.actor, "log_batch_events", events, timeout=timeout)
            call_stats_actor(self.actor, "force_process_and_log", global_step, timeout=timeout)
        except Exception as error:
            logger.warning("The last metrics could not be written: %s", error)

    def _settle(self, timeout: float) -> None:
        """Forget delivered batches; queue again the ones a dead or restarting actor lost."""
        still: list[tuple[ray.ObjectRef[Any], list[RawMetricEvent]]] = []
        deadline = time.monotonic() + timeout
        for ref, events in self._in_flight:
            ready, _ = ray.wait([ref], timeout=max(0.0, deadline - time.monotonic()))
            if not ready:
                still.append((ref, events))
                continue
            try:
                ray.get(ref)
            except RayActorError:
                self._actor_was_down = True
                self._queued.extendleft(reversed(events))
            except Exception as error:
                logger.warning("The stats actor refused %d events: %s", len(events), error)
        self._in_flight = still
