"""Where a run's parts live on a Ray cluster, and the nodes that come and go.

The driver writes checkpoints and buffers itself; what else writes the run's files
(the stats actor: MLflow, TensorBoard, configs.json, trieye's log) or shares the
trainer's core (the evaluation task) is pinned to the driver's node with
`on_driver_node()`, so a cluster needs no shared filesystem. Self-play workers spread
over every node (`SPREAD`). `NodeWatch` notices nodes joining and leaving, so the log
says what happened when a node is lost.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

logger = logging.getLogger(__name__)

SPREAD = "SPREAD"
"""Ray's scheduling strategy that places actors on as many nodes as it can."""
SHORT_ID = 12
"""Hex digits of a node id shown in the log (Ray's ids have 56)."""


def short_id(node_id: str) -> str:
    return node_id[:SHORT_ID]


def driver_node_id() -> str:
    """The Ray node this driver is connected to (its machine's node)."""
    return str(ray.get_runtime_context().get_node_id())


def on_driver_node() -> NodeAffinitySchedulingStrategy:
    """Run there and only there: the driver's node (never another machine's disk)."""
    return NodeAffinitySchedulingStrategy(node_id=driver_node_id(), soft=False)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    node_id: str
    address: str
    cpus: float

    def describe(self) -> str:
        return f"{short_id(self.node_id)} ({self.address})"


def alive_nodes() -> dict[str, NodeInfo]:
    """Node id -> what the cluster says about each live node."""
    nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    return {
        str(node["NodeID"]): NodeInfo(
            node_id=str(node["NodeID"]),
            address=str(node.get("NodeManagerAddress", "?")),
            cpus=float(node.get("Resources", {}).get("CPU", 0.0)),
        )
        for node in nodes
        if node.get("Alive")
    }


class NodeWatch:
    """Compares the cluster's live nodes every `interval_s` seconds and logs each change."""

    def __init__(self, interval_s: float = 2.0) -> None:
        self.interval_s = interval_s
        self.nodes = alive_nodes()
        """The live nodes as last seen."""
        self.lost: dict[str, NodeInfo] = {}
        """Nodes that left during the run."""
        self._next_poll = time.monotonic() + interval_s

    def describe(self, node_id: str) -> str:
        known = self.nodes.get(node_id) or self.lost.get(node_id)
        return known.describe() if known else short_id(node_id)

    def poll(self, workers_on: dict[str, list[int]] | None = None) -> list[NodeInfo]:
        """The nodes that left since the last look (at most one look per interval).

        `workers_on` (node id -> ids of the workers that ran there, the ones replaced
        already included) lets the log say whose workers the node took with it.
        """
        now = time.monotonic()
        if now < self._next_poll:
            return []
        self._next_poll = now + self.interval_s
        try:
            current = alive_nodes()
        except Exception:
            logger.debug("Could not read the cluster's nodes.", exc_info=True)
            return []
        left = [info for node_id, info in self.nodes.items() if node_id not in current]
        for node_id, info in current.items():
            if node_id not in self.nodes:
                logger.info(
                    "Ray node %s joined the cluster with %g CPU(s).", info.describe(), info.cpus
                )
        for info in left:
            self.lost[info.node_id] = info
            workers = (workers_on or {}).get(info.node_id, [])
            logger.warning(
                "Ray node %s left the cluster (%d node(s) remain, %g CPU(s)); %s",
                info.describe(),
                len(current),
                sum(node.cpus for node in current.values()),
                (
                    f"self-play worker(s) {', '.join(map(str, workers))} ran there; each is "
                    "replaced on the remaining nodes as soon as Ray reports it lost."
                    if workers
                    else "no self-play worker ran there."
                ),
            )
        self.nodes = current
        return left
