"""ExperienceBuffer: fixed-capacity replay, uniform or prioritised (Schaul et al., 2016).

Positions live in preallocated arrays written as a ring, so memory is fixed by the
capacity from the first add on. With prioritised replay, position i is sampled with
probability p_i^alpha / sum_j p_j^alpha and weighted by (N * P(i))^-beta, beta
annealing from `per_beta_initial` to `per_beta_final` over the run. The whole state
(arrays, priorities, write position, random generator) saves and restores exactly.

Storage is compact, because the buffer is most of the driver's memory: the feature
planes are 0/1 facts and are kept as uint8, the policy targets as float16 (about
5e-4 relative precision, far below the noise of a search policy). A position of the
default board takes 1.5 KB instead of 4.4 KB. Samples come back as float32.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import TrainConfig
from alphatriangle.nn import write_atomically

from .experience import ExperienceBatch
from .sum_tree import SumTree

logger = logging.getLogger(__name__)

_STORED_DTYPES: dict[str, type[np.generic]] = {
    "grid": np.uint8,
    "other": np.float32,
    "policy_target": np.float16,
    "value_target": np.float32,
    "board_inputs": np.float32,
}
_ARRAY_FIELDS = tuple(_STORED_DTYPES)


def _as_stored(name: str, values: NDArray[Any]) -> NDArray[Any]:
    """`values` in the dtype the buffer keeps field `name` in; refuses what would not survive.

    Feature planes must be exactly 0 or 1: anything else would be silently truncated
    by the uint8 storage, so it is an error that names the field.
    """
    dtype = _STORED_DTYPES[name]
    if values.dtype == dtype:
        return values
    if dtype is np.uint8 and not np.all((values == 0) | (values == 1)):
        raise ValueError(
            f"experience field {name} must hold 0/1 feature planes (stored as uint8); "
            f"got values from {values.min()} to {values.max()}"
        )
    return values.astype(dtype)


@dataclass(frozen=True, slots=True)
class SampledBatch:
    """A training batch and where it came from."""

    indices: NDArray[np.int64]  # [B] buffer slots, for priority updates
    weights: NDArray[np.float32]  # [B] importance-sampling weights (all 1 when uniform)
    experiences: ExperienceBatch


def stored_bytes_per_position(
    grid_shape: tuple[int, ...], other_dim: int, action_dim: int, board_inputs: int = 0
) -> int:
    """Bytes one position takes in the buffer, for sizing `buffer_capacity` against memory."""
    shapes = {
        "grid": grid_shape,
        "other": (other_dim,),
        "policy_target": (action_dim,),
        "value_target": (),
        "board_inputs": (board_inputs,),
    }
    return sum(
        int(np.prod(shape, dtype=np.int64)) * np.dtype(_STORED_DTYPES[name]).itemsize
        for name, shape in shapes.items()
    )


class BufferStateError(ValueError):
    """A saved buffer cannot be restored into this buffer."""


class BufferFileError(BufferStateError):
    """A buffer file cannot be read at all (missing, truncated, corrupt, not a buffer)."""


class ExperienceBuffer:
    """Ring buffer of training positions with optional prioritised sampling."""

    def __init__(
        self,
        *,
        capacity: int,
        use_per: bool = False,
        per_alpha: float = 0.6,
        per_beta_initial: float = 0.4,
        per_beta_final: float = 1.0,
        per_beta_anneal_steps: int = 100_000,
        per_epsilon: float = 1e-5,
        seed: int = 0,
        board_input_count: int | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.use_per = use_per
        self.per_alpha = per_alpha
        self.per_beta_initial = per_beta_initial
        self.per_beta_final = per_beta_final
        self.per_beta_anneal_steps = max(1, per_beta_anneal_steps)
        self.per_epsilon = per_epsilon
        self.board_input_count = board_input_count
        """The inputs the board value reads (`nn.board_value_inputs` of the model's
        patterns): a saved buffer whose positions hold another count is refilled. None
        (a buffer not tied to a network) keeps what it loads."""
        self.rng = np.random.default_rng(seed)
        self._arrays: dict[str, NDArray[Any]] | None = None
        self._size = 0
        self._next = 0
        self._total_added = 0
        self._max_priority = 1.0
        self._priorities = SumTree(capacity) if use_per else None

    @classmethod
    def from_config(
        cls, config: TrainConfig, *, seed: int, board_input_count: int | None = None
    ) -> ExperienceBuffer:
        return cls(
            capacity=config.buffer_capacity,
            use_per=config.use_per,
            per_alpha=config.per_alpha,
            per_beta_initial=config.per_beta_initial,
            per_beta_final=config.per_beta_final,
            per_beta_anneal_steps=config.beta_anneal_steps,
            per_epsilon=config.per_epsilon,
            seed=seed,
            board_input_count=board_input_count,
        )

    def __len__(self) -> int:
        return self._size

    @property
    def total_added(self) -> int:
        """Positions ever added, including overwritten ones."""
        return self._total_added

    def is_ready(self, min_size: int) -> bool:
        return self._size >= min_size

    # --- adding ---

    def add(self, batch: ExperienceBatch) -> None:
        """Append positions, overwriting the oldest once full; new ones get the top priority."""
        count = len(batch)
        if count == 0:
            return
        if count > self.capacity:
            batch = batch.take(np.arange(count - self.capacity, count))
            count = self.capacity
        arrays = self._ensure_arrays(batch)
        stored = {name: _as_stored(name, getattr(batch, name)) for name in _ARRAY_FIELDS}
        slots = (self._next + np.arange(count)) % self.capacity
        for name in _ARRAY_FIELDS:
            arrays[name][slots] = stored[name]
        if self._priorities is not None:
            self._priorities.set(slots, np.full(count, self._max_priority**self.per_alpha))
        self._next = int((self._next + count) % self.capacity)
        self._size = min(self.capacity, self._size + count)
        self._total_added += count

    def _ensure_arrays(self, batch: ExperienceBatch) -> dict[str, NDArray[Any]]:
        if self._arrays is None:
            self._arrays = {
                name: np.zeros((self.capacity, *getattr(batch, name).shape[1:]), dtype)
                for name, dtype in _STORED_DTYPES.items()
            }
        for name in _ARRAY_FIELDS:
            expected = self._arrays[name].shape[1:]
            got = getattr(batch, name).shape[1:]
            if expected != got:
                raise ValueError(
                    f"experience field {name} has shape {got} per position, "
                    f"the buffer holds {expected}"
                )
        return self._arrays

    # --- sampling ---

    def beta(self, global_step: int, progress: float | None = None) -> float:
        """Importance-sampling exponent: annealed over `per_beta_anneal_steps`, or over the
        run's time budget when `progress` (its elapsed fraction, 0 to 1) is given."""
        if progress is None:
            fraction = min(1.0, max(0, global_step) / self.per_beta_anneal_steps)
        else:
            fraction = min(1.0, max(0.0, progress))
        return self.per_beta_initial + fraction * (self.per_beta_final - self.per_beta_initial)

    def sample(
        self, batch_size: int, *, global_step: int = 0, progress: float | None = None
    ) -> SampledBatch:
        """Draw `batch_size` positions (with replacement); `progress` as in `beta`."""
        if self._size == 0 or self._arrays is None:
            raise ValueError("cannot sample from an empty experience buffer")
        if self._priorities is None:
            indices = self.rng.integers(0, self._size, batch_size).astype(np.int64)
            weights = np.ones(batch_size, np.float32)
        else:
            indices = self._priorities.sample(batch_size, self.rng)
            empty = indices >= self._size
            if empty.any():
                indices[empty] = self.rng.integers(0, self._size, int(empty.sum()))
            probabilities = self._priorities.get(indices) / self._priorities.total
            beta = self.beta(global_step, progress)
            raw = np.power(self._size * np.maximum(probabilities, 1e-12), -beta)
            weights = (raw / raw.max()).astype(np.float32)
        # Indexing already copies; float32 fields need no second copy.
        sampled: dict[str, NDArray[Any]] = {
            name: self._arrays[name][indices].astype(np.float32, copy=False)
            for name in _ARRAY_FIELDS
        }
        experiences = ExperienceBatch(**sampled)
        return SampledBatch(indices=indices, weights=weights, experiences=experiences)

    def update_priorities(
        self, indices: NDArray[np.int64], errors: NDArray[np.floating[Any]]
    ) -> None:
        """Set the priorities of sampled positions from their training errors."""
        if self._priorities is None:
            return
        errors = np.asarray(errors, np.float64)
        if errors.shape != np.shape(indices):
            raise ValueError(f"got {errors.shape} errors for {np.shape(indices)} indices")
        priorities = np.abs(np.nan_to_num(errors, nan=0.0, posinf=0.0)) + self.per_epsilon
        self._max_priority = max(self._max_priority, float(priorities.max(initial=0.0)))
        self._priorities.set(np.asarray(indices, np.int64), priorities**self.per_alpha)

    # --- state ---

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this buffer is (arrays copied)."""
        return self._state(copy_arrays=True)

    def _state(self, *, copy_arrays: bool) -> dict[str, Any]:
        state: dict[str, Any] = {
            "capacity": self.capacity,
            "use_per": self.use_per,
            "size": self._size,
            "next": self._next,
            "total_added": self._total_added,
            "max_priority": self._max_priority,
            "rng_state": self.rng.bit_generator.state,
        }
        if self._arrays is not None:
            for name in _ARRAY_FIELDS:
                filled = self._arrays[name][: self._size]
                state[name] = filled.copy() if copy_arrays else filled
        if self._priorities is not None:
            state["priorities"] = self._priorities.get(np.arange(self._size)).copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state["capacity"]) != self.capacity or bool(state["use_per"]) != self.use_per:
            raise BufferStateError(
                f"saved buffer has capacity {state['capacity']} and use_per={state['use_per']}; "
                f"this buffer has capacity {self.capacity} and use_per={self.use_per}"
            )
        size = int(state["size"])
        self._arrays = None
        inputs = np.shape(state.get("board_inputs", np.zeros((0, 0))))
        expected = self.board_input_count
        if size > 0 and len(inputs) == 2 and expected is not None and 0 < inputs[1] != expected:
            # Saved before the board value read its later inputs: positions that lack them
            # would train it on inputs it never sees in play. The run refills the buffer
            # (a few minutes of self-play); everything else of the state is kept.
            logger.warning(
                "the saved buffer's %d positions hold %d board value inputs, this version "
                "reads %d: they are dropped and self-play refills the buffer",
                size,
                inputs[1],
                self.board_input_count,
            )
            state = {**state, "next": 0}
            size = 0
        if size > 0:
            if "board_inputs" not in state:  # saved before the board value: none
                state = {**state, "board_inputs": np.zeros((size, 0), np.float32)}
            try:  # files of older versions hold float32 planes: converted, or refused
                stored = {name: _as_stored(name, np.asarray(state[name])) for name in _ARRAY_FIELDS}
            except ValueError as error:
                raise BufferStateError(f"saved buffer cannot be restored: {error}") from error
            if not stored["policy_target"].any():
                # A turn-search run's buffer saved when afterstates carried all-zero policy
                # rows: they carry none now (width 0), and the games to come fit beside them.
                stored["policy_target"] = stored["policy_target"][:, :0]
            batch = ExperienceBatch(**stored)
            arrays = self._ensure_arrays(batch)
            for name in _ARRAY_FIELDS:
                arrays[name][:size] = stored[name]
        self._size = size
        self._next = int(state["next"])
        self._total_added = int(state["total_added"])
        self._max_priority = float(state["max_priority"])
        self.rng.bit_generator.state = state["rng_state"]
        if self.use_per:
            self._priorities = SumTree(self.capacity)
            if size:
                self._priorities.set(np.arange(size), np.asarray(state["priorities"], np.float64))

    def save(self, path: Path | str) -> Path:
        """Write the state to an `.npz` file atomically (beside, then rename); no pickles.

        Writes views of the arrays rather than copies: a full buffer is hundreds of MB,
        and a copy would double the driver's memory at every save.
        """
        state = self._state(copy_arrays=False)
        arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
        scalars = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
        arrays["meta_json"] = np.frombuffer(json.dumps(scalars).encode(), dtype=np.uint8)
        return write_atomically(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]

    def load(self, path: Path | str) -> None:
        """Restore a state written by `save`, refusing anything that is not plain arrays."""
        source = Path(path)
        try:
            # Opened here so a truncated file is closed even when np.load fails on it.
            with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
                state: dict[str, Any] = json.loads(bytes(data["meta_json"]).decode())
                state.update({k: data[k] for k in data.files if k != "meta_json"})
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise BufferFileError(f"buffer file {source} cannot be read: {error}") from error
        self.load_state_dict(state)
