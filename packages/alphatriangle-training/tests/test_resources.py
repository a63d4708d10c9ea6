"""Cores: self-play workers run at the driver's priority and the trainer keeps to the cores left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import ray
import torch

from alphatriangle.config import RunContext, TrainConfig
from alphatriangle.training.cluster import resources
from alphatriangle.training.cluster.connect import init_ray
from alphatriangle.training.cluster.resources import (
    detect_workers,
    set_trainer_threads,
    workers_for,
)


@ray.remote
def worker_niceness() -> int:
    return os.nice(0)


def test_workers_are_not_niced_and_the_trainer_takes_the_spare_cores(tmp_path: Path) -> None:
    threads_before = torch.get_num_threads()
    started = init_ray(RunContext(run_name="cores", data_root=tmp_path))
    try:
        assert started
        assert ray.get(worker_niceness.remote(), timeout=60) == os.nice(0)
        config = TrainConfig()
        workers, _ = detect_workers(config)
        cpus = int(ray.cluster_resources()["CPU"])
        assert workers == cpus  # one per CPU: no cap by default
        reserved = config.with_updates(reserve_cpu_for_trainer=True)
        assert detect_workers(reserved)[0] == max(1, cpus - 1)
        assert set_trainer_threads(config, workers) == max(1, cpus - workers)
        assert torch.get_num_threads() == max(1, cpus - workers)
        pinned = config.with_updates(trainer_torch_threads=3)
        assert set_trainer_threads(pinned, workers) == 3
        assert torch.get_num_threads() == 3
    finally:
        ray.shutdown()
        torch.set_num_threads(threads_before)


def test_a_cluster_of_16_cpus_gets_16_workers_unless_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker count follows the cluster's CPUs: a 16-CPU cluster fills all 16."""
    monkeypatch.setattr(resources.ray, "cluster_resources", lambda: {"CPU": 16.0})
    monkeypatch.setattr(resources, "alive_nodes", dict)
    assert detect_workers(TrainConfig()) == (16, 0.0)
    assert detect_workers(TrainConfig(reserve_cpu_for_trainer=True))[0] == 15
    assert detect_workers(TrainConfig(num_self_play_workers=4))[0] == 4  # an explicit cap
    assert detect_workers(TrainConfig(num_self_play_workers=64))[0] == 16  # never past the CPUs
    assert workers_for(1, TrainConfig(reserve_cpu_for_trainer=True)) == 1
