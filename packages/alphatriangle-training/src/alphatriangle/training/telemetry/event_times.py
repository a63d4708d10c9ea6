"""Metrics dated by the wall-clock time of their events: the one workaround of trieye's clock.

trieye 0.1.5 hands MLflow the time of the stats actor's processing pass as every
metric's timestamp, and that time is `time.monotonic()` (`TrieyeActor.process_and_log`
passes it down as `LogContext.current_time`, and `StatsProcessor._log_to_targets`
logs `int(log_time * 1000)`): seconds since the machine booted, so MLflow dates every
metric in January 1970, and a node with another uptime would date them differently
again. trieye's `RawMetricEvent` has a `timestamp` field, which it never reads.

So the driver dates each event when it is made (`stamped`, called by
`StatsSender.add` for every event: one clock, the driver's, across stats-actor
restarts and resumed runs, and a re-sent event keeps its first date), and the stats
actor logs each metric at the newest date among the events it summarises
(`EventTimeStatsProcessor`, inside `EventTimeTrieyeActor`). trieye keeps its monotonic
clock for what it is right for: its processing interval, the seconds a rate is
divided by, and time-based log frequencies.
"""

from __future__ import annotations

import time
from typing import Any

import ray
from trieye import LogContext, MetricConfig, RawMetricEvent, StatsProcessor, TrieyeActor

RawData = dict[int, dict[str, list[RawMetricEvent]]]
"""trieye's events of one processing pass: step -> event name -> events."""


def stamped(event: RawMetricEvent) -> RawMetricEvent:
    """`event` dated now on this process's wall clock (seconds), unless it has a date."""
    if event.timestamp is not None:
        return event
    return event.model_copy(update={"timestamp": time.time()})


class EventTimeStatsProcessor(StatsProcessor):  # type: ignore[misc]
    """trieye's processor, logging each metric at the wall-clock time of its newest event.

    A metric of one step (a mean, a latest value) is dated by the newest of that step's
    events it aggregates; a rate, which trieye computes over every event of the pass
    and logs at the pass's latest step, by the newest event of the pass. An event
    without a date (none of ours) is dated by the actor's wall clock when it is logged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._event_times: dict[tuple[str, int], float] = {}
        self._pass_time: float | None = None

    def process_and_log(self, raw_data: RawData, context: LogContext) -> None:
        self._event_times = {}
        for step, events_by_name in raw_data.items():
            for name, events in events_by_name.items():
                dates = [e.timestamp for e in events if e.timestamp is not None]
                if dates:
                    self._event_times[(name, step)] = max(dates)
        self._pass_time = max(self._event_times.values(), default=None)
        super().process_and_log(raw_data, context)

    def _log_to_targets(
        self, metric_config: MetricConfig, value: float | int, log_step: int, log_time: float
    ) -> None:
        if metric_config.aggregation == "rate":
            event_time = self._pass_time
        else:
            event_time = self._event_times.get((metric_config.event_key, log_step))
        if event_time is None:
            event_time = time.time()
        super()._log_to_targets(metric_config, value, log_step, event_time)
        # trieye remembers when it last logged each metric, for time-based frequencies
        # measured on its monotonic clock: keep that on the clock trieye reads it with.
        if self._last_log_time.get(metric_config.name) == event_time:
            self._last_log_time[metric_config.name] = log_time


@ray.remote
class EventTimeTrieyeActor(TrieyeActor.__ray_actor_class__):  # type: ignore[misc]
    """trieye's stats actor with `EventTimeStatsProcessor` in place of its processor.

    Ray re-runs this constructor when it restarts the actor, so a restarted actor
    dates metrics the same way.
    """

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        if self.logic.stats_processor is None:
            return  # trieye made no processor: no metrics are configured
        processor = EventTimeStatsProcessor(
            config=config.stats,
            run_name=config.run_name,
            tb_writer=self.tb_writer,
            mlflow_run_id=self.mlflow_run_id,
            _mlflow_client=self.mlflow_client,
        )
        self.logic.stats_processor = processor
