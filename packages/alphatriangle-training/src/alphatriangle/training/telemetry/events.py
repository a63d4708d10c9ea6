"""The metric events of a run: what the loop reports, named from `alphatriangle.rl.metric_names`.

The loop says what happened (a game was added, an update was applied, an evaluation
finished); `RunMetrics` turns that into trieye's `RawMetricEvent`s and hands them to
the stats sender, which dates each and gets it to the stats actor. Events carry the
training step they belong to; an evaluation's carry the step it evaluated, dated when
that step's weights were taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from alphatriangle.rl import SelfPlayResult
from alphatriangle.rl import metric_names as names
from alphatriangle.rl.evaluation import PlayerSummary

from ..store.resume import RunCounters

if TYPE_CHECKING:
    from trieye import RawMetricEvent

TRAIN_STEP_METRICS = {
    "total_loss": names.LOSS_TOTAL,
    "policy_loss": names.LOSS_POLICY,
    "value_loss": names.LOSS_VALUE,
    "board_value_loss": names.LOSS_BOARD_VALUE,
    "entropy": names.LOSS_ENTROPY,
    "grad_norm": names.GRAD_NORM,
    "learning_rate": names.LEARNING_RATE,
}
"""`TrainStepResult.as_metrics()` key -> the metric it is logged as."""


class EventSink(Protocol):
    """Where events go: `StatsSender` (to the stats actor), or a test's recorder."""

    def add(self, event: RawMetricEvent) -> None: ...

    def flush(self, global_step: int) -> None: ...

    def flush_and_wait(self, global_step: int, timeout: float = 120.0) -> None: ...


def metric_event(**fields: Any) -> RawMetricEvent:
    """trieye's `RawMetricEvent`; trieye (which imports MLflow, seconds on a busy machine)
    is imported at the first event, not when the driver starts, so the self-play workers
    start that much sooner."""
    from trieye import RawMetricEvent

    return RawMetricEvent(**fields)


class RunMetrics:
    """Names and sends the metric events of one run."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    def value(self, name: str, value: float, step: int) -> None:
        self.sink.add(metric_event(name=name, value=value, global_step=step))

    def game_added(self, result: SelfPlayResult, *, step: int, buffer_size: int) -> None:
        """A finished game went into the buffer: its score, length and clears, its
        simulations or afterstates valued (for the rates) and the buffer's new size."""
        self.sink.add(
            metric_event(
                name=names.EPISODE_EVENT,
                value=result.score,
                global_step=step,
                context={
                    "score": result.score,
                    "length": result.length,
                    "triangles_cleared": result.triangles_cleared,
                },
            )
        )
        self.value(names.SIMULATIONS_EVENT, result.simulations, step)
        self.value(names.AFTERSTATES_VALUED_EVENT, result.afterstates_valued, step)
        self.value(names.BUFFER_SIZE, buffer_size, step)

    def update_applied(
        self,
        losses: Mapping[str, float],
        *,
        step: int,
        beta: float,
        buffer_size: int,
        moves_per_second: float,
    ) -> None:
        """An update was applied at `step`: its losses, the replay's beta and the rates."""
        for key, name in TRAIN_STEP_METRICS.items():
            self.value(name, losses[key], step)
        self.value(names.STEP_EVENT, 1, step)
        self.value(names.PER_BETA, beta, step)
        self.value(names.BUFFER_SIZE, buffer_size, step)
        self.value(names.MOVES_PER_SECOND, moves_per_second, step)

    def evaluation(
        self, summary: PlayerSummary, *, step: int, weights_taken_at: float, is_best: bool
    ) -> None:
        """An evaluation of the weights of `step` finished (`Eval/*`)."""
        metrics = summary.as_metrics()
        if is_best:
            metrics[names.EVAL_BEST_MEAN_SCORE] = summary.mean_score
        for name, value in metrics.items():
            self.sink.add(
                metric_event(name=name, value=value, global_step=step, timestamp=weights_taken_at)
            )

    def totals(self, counters: RunCounters) -> None:
        """The run's running totals, at its current step."""
        step = counters.global_step
        self.value(names.EPISODES_PLAYED, counters.episodes_played, step)
        self.value(names.TOTAL_SIMULATIONS, counters.total_simulations, step)
        self.value(names.TOTAL_AFTERSTATES_VALUED, counters.total_afterstates_valued, step)
        self.value(names.WORKER_RESTARTS, counters.worker_restarts, step)
        self.value(names.SKIPPED_UPDATES, counters.skipped_updates, step)

    def flush(self, step: int, *, wait: bool = False) -> None:
        """Hand the events to the stats actor (and, with `wait`, have them written)."""
        if wait:
            self.sink.flush_and_wait(step)
        else:
            self.sink.flush(step)
