"""How many self-play workers the cluster's CPUs allow, and the trainer's torch threads."""

from __future__ import annotations

import logging

import ray
import torch

from alphatriangle.config import TrainConfig

from .nodes import alive_nodes, driver_node_id

logger = logging.getLogger(__name__)


def workers_for(cpus: int, train_config: TrainConfig) -> int:
    """Self-play workers for a cluster of `cpus` CPUs: one per CPU (one fewer with
    `reserve_cpu_for_trainer`), at most `num_self_play_workers` when that is set, at
    least one."""
    available = cpus - 1 if train_config.reserve_cpu_for_trainer else cpus
    cap = train_config.num_self_play_workers
    return max(1, available if cap is None else min(cap, available))


def detect_workers(train_config: TrainConfig) -> tuple[int, float]:
    """(self-play workers, GPUs per worker) for the CPUs and GPUs of the Ray cluster
    (`workers_for`)."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cpus = int(resources.get("CPU", 1))
    gpus = float(resources.get("GPU", 0.0))
    workers = workers_for(cpus, train_config)
    worker_gpus = 0.0
    if train_config.worker_device != "cpu" and gpus > 0:
        worker_gpus = min(1.0, gpus / (workers + 1))
    logger.info(
        "Ray sees %d node(s) with %d CPU(s) and %g GPU(s): %d self-play worker(s).",
        len(alive_nodes()),
        cpus,
        gpus,
        workers,
    )
    return workers, worker_gpus


def set_trainer_threads(train_config: TrainConfig, num_workers: int) -> int:
    """Give the trainer the cores the workers leave (or `trainer_torch_threads`); returns it.

    On a cluster only the driver's own node counts: other machines' cores are no use to
    the trainer, and its node keeps its share of the workers (they spread evenly).
    """
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cluster_cpus = int(resources.get("CPU", 1))
    node = alive_nodes().get(driver_node_id())
    node_cpus = int(node.cpus) if node is not None else cluster_cpus
    workers_here = -(-num_workers * node_cpus // max(1, cluster_cpus))
    threads = train_config.trainer_torch_threads or max(1, node_cpus - workers_here)
    torch.set_num_threads(threads)
    logger.info("The trainer uses %d torch thread(s).", threads)
    return threads
