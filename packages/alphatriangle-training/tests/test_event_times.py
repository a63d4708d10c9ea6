"""Metrics dated by their events' wall-clock time (event_times), on a real MLflow SQLite store.

The events here are dated a day in the past: what MLflow stores must be those
dates, not the clock of the process that logs them.
"""

from __future__ import annotations

import time
from pathlib import Path

from mlflow.tracking import MlflowClient
from trieye import LogContext, RawMetricEvent, StatsConfig

from alphatriangle.config import RunContext
from alphatriangle.rl import metric_names
from alphatriangle.rl.metric_names import EPISODE_EVENT, STEP_EVENT
from alphatriangle.training.telemetry.event_times import EventTimeStatsProcessor, stamped
from alphatriangle.training.telemetry.stats_actor import StatsSender
from alphatriangle.training.telemetry.stats_config import alphatriangle_metrics, build_trieye_config

A_DAY_AGO = time.time() - 86_400.0


def event(name: str, step: int, seconds_after: float | None, **context: float) -> RawMetricEvent:
    """An event of `step`, dated `seconds_after` A_DAY_AGO (undated when None)."""
    timestamp = None if seconds_after is None else A_DAY_AGO + seconds_after
    return RawMetricEvent(
        name=name, value=1.0, global_step=step, timestamp=timestamp, context=context
    )


def milliseconds(seconds_after: float) -> int:
    return int((A_DAY_AGO + seconds_after) * 1000)


def test_each_metric_is_dated_by_the_newest_event_it_summarises(tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("dates", artifact_location=tmp_path.as_uri())
    run_id = client.create_run(experiment).info.run_id
    processor = EventTimeStatsProcessor(
        config=StatsConfig(metrics=alphatriangle_metrics()),
        run_name="dates",
        tb_writer=None,
        mlflow_run_id=run_id,
        _mlflow_client=client,
    )
    raw_data = {
        # An evaluation of step 2 that finished later, dated when step 2's weights were taken.
        2: {"Eval/mean_score": [event("Eval/mean_score", 2, 1.0)]},
        3: {
            "Loss/total": [event("Loss/total", 3, 10.0), event("Loss/total", 3, 11.0)],
            EPISODE_EVENT: [event(EPISODE_EVENT, 3, 12.0, score=4.0)],
            STEP_EVENT: [event(STEP_EVENT, 3, 10.0)],
            "Buffer/size": [event("Buffer/size", 3, None)],
        },
        4: {
            "Loss/total": [event("Loss/total", 4, 20.0)],
            STEP_EVENT: [event(STEP_EVENT, 4, 20.0)],
            "Progress/episodes_played": [event("Progress/episodes_played", 4, 21.0)],
        },
    }
    now = time.monotonic()
    context = LogContext(
        latest_step=4,
        last_log_time=now - 1.0,
        current_time=now,
        event_timestamps={},
        latest_values={},
    )
    before_ms = int(time.time() * 1000)
    processor.process_and_log(raw_data, context)
    after_ms = int(time.time() * 1000)

    def dates(name: str) -> list[tuple[int, int]]:
        return [(m.step, m.timestamp) for m in client.get_metric_history(run_id, name)]

    # trieye logs each metric once per pass, at its latest step.
    assert dates("Loss/total") == [(4, milliseconds(20.0))]
    assert dates("Episode/score") == [(3, milliseconds(12.0))]
    assert dates("Eval/mean_score") == [(2, milliseconds(1.0))]
    # A rate spans the whole pass: dated by its newest event, at the pass's step.
    assert dates("Rate/steps_per_sec") == [(4, milliseconds(21.0))]
    # An undated event falls back to the logging process's wall clock.
    ((step, undated_ms),) = dates("Buffer/size")
    assert step == 3
    assert before_ms <= undated_ms <= after_ms
    # trieye's own bookkeeping (time-based log frequencies) stays on its monotonic clock.
    assert processor._last_log_time["Loss/total"] == now


def test_the_sender_dates_each_event_as_it_is_added() -> None:
    sender = StatsSender(actor=None)
    before = time.time()
    sender.add(event("Loss/total", 1, None))
    sender.add(event("Eval/mean_score", 1, 5.0))
    after = time.time()
    fresh, dated = sender._queued
    assert fresh.timestamp is not None
    assert before <= fresh.timestamp <= after
    assert dated.timestamp == A_DAY_AGO + 5.0  # an event's own date is kept
    assert stamped(dated) is dated


def test_the_stats_config_logs_every_metric_name_and_only_those() -> None:
    """A name added to (or renamed in) `alphatriangle.rl.metric_names` is configured here,
    so the loop's events under it reach MLflow."""
    named = {
        value
        for key, value in vars(metric_names).items()
        if key.isupper() and isinstance(value, str) and not key.endswith("_EVENT")
    }
    configured = [metric.name for metric in alphatriangle_metrics()]
    assert sorted(configured) == sorted(named)


def test_trieye_writes_where_the_run_context_says(tmp_path: Path) -> None:
    context = RunContext(run_name="paths", data_root=tmp_path)
    persistence = build_trieye_config(context, stats_interval_seconds=1.0).persistence
    run_dir = persistence.get_run_base_dir()
    assert run_dir == context.run_dir
    assert context.mlflow_tracking_uri == persistence.MLFLOW_TRACKING_URI
    assert persistence.get_mlflow_abs_path() == context.app_dir  # no stray mlruns/
    assert run_dir / persistence.LOG_DIR_NAME == context.logs_dir
    assert run_dir / persistence.TENSORBOARD_DIR_NAME == context.tensorboard_dir
    assert run_dir / persistence.CONFIG_FILENAME == context.configs_path
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # describing creates nothing
