"""CheckpointStore: a run's checkpoints, replay buffers and run-state file on disk, and the
fallback on resume.

Layout, under `runs/<run>/` (the directories and fixed names from the `RunContext`, the
numbered names from here):

    checkpoints/step_00001000.pt   one per save, the newest `keep` kept
    checkpoints/latest.pt          copy of the newest step file
    checkpoints/best.pt            copy of the step file `mark_best` was given
    buffers/buffer_step_00001000.npz   one per buffer save, the newest `keep` kept
    */superseded_<time>/, */replaced_<time>/   files set aside, never deleted, by a
                                   fallback resume or a --no-resume start
    run_state.json                 where the run stands (see run_state)

Checkpoints are `NeuralNetwork.save` files (weights, model and board configs) whose
extras hold the optimizer, schedule, counters and random-number-generator states as
tensors and plain values, so they load with torch's weights-only loader and loading
never runs code from the file. Buffers are `.npz` without pickles. Every write goes
beside the target and is renamed over it, so a crash or a full disk leaves the
previous files whole; a file that is unreadable anyway (truncated by hand, a bad
disk) is skipped on resume with a warning naming it, falling back to the newest
good one, and if none is good resuming refuses rather than starting fresh.
"""

from __future__ import annotations

import errno
import logging
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alphatriangle.config import RunContext
from alphatriangle.nn import (
    CheckpointMismatchError,
    NeuralNetwork,
    read_checkpoint,
    write_atomically,
)
from alphatriangle.rl import BufferFileError, BufferStateError, ExperienceBuffer

from .run_state import RunState, saved_best_score, write_run_state

logger = logging.getLogger(__name__)

_CHECKPOINT_FILE = re.compile(r"^step_(\d{8})\.pt$")
_BUFFER_FILE = re.compile(r"^buffer_step_(\d{8})\.npz$")
CHECKPOINT_FORMAT = "alphatriangle-training-checkpoint/1"
"""Recorded in every training checkpoint, so a bare weights file is not taken for one."""


class CheckpointError(RuntimeError):
    """Base of the errors about a run's saved files."""


class ResumeError(CheckpointError):
    """The run's saved state cannot be resumed (none readable, or another board/network)."""


class CheckpointSaveError(CheckpointError):
    """A checkpoint or buffer could not be written; the previous one is intact."""


@dataclass(frozen=True, slots=True)
class LoadedCheckpoint:
    """A readable training checkpoint and where it came from."""

    path: Path
    step: int
    payload: dict[str, object]


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def buffer_name(step: int) -> str:
    return f"buffer_step_{step:08d}.npz"


def _numbered(directory: Path, pattern: re.Pattern[str]) -> list[tuple[int, Path]]:
    """(step, path) of the numbered files in `directory`, newest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = pattern.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


class CheckpointStore:
    """Writes, prunes and reads back one run's checkpoints, buffers and run-state file."""

    def __init__(self, run_context: RunContext, *, keep: int = 3) -> None:
        self.checkpoints_dir = run_context.checkpoints_dir
        self.buffers_dir = run_context.buffers_dir
        self.latest_path = run_context.latest_checkpoint_path
        self.best_path = run_context.best_checkpoint_path
        self.run_state_path = run_context.run_state_path
        self.keep = max(1, keep)

    def checkpoint_path(self, step: int) -> Path:
        return self.checkpoints_dir / checkpoint_name(step)

    def buffer_path(self, step: int) -> Path:
        return self.buffers_dir / buffer_name(step)

    def step_checkpoints(self) -> list[tuple[int, Path]]:
        """(step, path) of every step checkpoint, newest first."""
        return _numbered(self.checkpoints_dir, _CHECKPOINT_FILE)

    def step_buffers(self) -> list[tuple[int, Path]]:
        """(step, path) of every step buffer, newest first."""
        return _numbered(self.buffers_dir, _BUFFER_FILE)

    def has_saved_state(self) -> bool:
        """Whether anything a resume would read exists (readable or not)."""
        return self.latest_path.exists() or bool(self.step_checkpoints())

    def saved_best_score(self) -> float | None:
        """The best evaluation score so far, as the run-state file records it."""
        return saved_best_score(self.run_state_path)

    # --- writing ---

    def write_run_state(self, state: RunState) -> Path:
        """Write the run-state file (atomically)."""
        return self._guarded(
            self.run_state_path, lambda: write_run_state(self.run_state_path, state)
        )

    def save_checkpoint(
        self, network: NeuralNetwork, step: int, extra: Mapping[str, object]
    ) -> Path:
        """Write `step_<step>.pt`, copy it to `latest.pt`, then prune old step files."""
        payload = {"format": CHECKPOINT_FORMAT, "global_step": step, **extra}
        path = self.checkpoint_path(step)
        self._guarded(path, lambda: network.save(path, extra=payload))
        self._guarded(self.latest_path, lambda: self._copy(path, self.latest_path))
        self._prune(self.step_checkpoints())
        return path

    def save_buffer(self, buffer: ExperienceBuffer, step: int) -> Path:
        """Write `buffer_step_<step>.npz`, then prune old step buffers."""
        path = self.buffer_path(step)
        self._guarded(path, lambda: buffer.save(path))
        self._prune(self.step_buffers())
        return path

    def mark_best(self, step: int) -> Path:
        """Copy the checkpoint of `step` to `best.pt` (atomically)."""
        source = self.checkpoint_path(step)
        if not source.is_file():
            raise FileNotFoundError(f"no checkpoint of step {step} at {source}")
        self._guarded(self.best_path, lambda: self._copy(source, self.best_path))
        return self.best_path

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        with source.open("rb") as reader:
            write_atomically(target, lambda handle: shutil.copyfileobj(reader, handle))

    def _guarded(self, target: Path, write: Callable[[], object]) -> Path:
        """Run `write`, turning an OSError (a full disk) into a CheckpointSaveError naming it."""
        try:
            write()
            return target
        except OSError as error:
            cause = "the disk is full" if error.errno == errno.ENOSPC else str(error)
            previous = (
                f"the previous checkpoint {self.latest_path} is intact"
                if self.latest_path.is_file()
                else "no earlier checkpoint exists"
            )
            raise CheckpointSaveError(
                f"could not write {target}: {cause} ({error.strerror or error}); {previous}"
            ) from error

    def _prune(self, numbered: list[tuple[int, Path]]) -> None:
        """Delete all but the newest `keep` files; `latest.pt` is a copy, so it survives."""
        for _, path in numbered[self.keep :]:
            try:
                path.unlink()
            except OSError:
                logger.warning("Could not delete the old file %s.", path, exc_info=True)

    def set_aside(self, label: str, *, newer_than: int | None = None) -> list[Path]:
        """Move files into `<dir>/<label>_<time>/` instead of deleting them; the moved paths.

        With `newer_than`, only step files past that step (a timeline a fallback
        resume abandoned, or a run restarted with --no-resume); else every file.
        """
        stamp = f"{label}_{datetime.now().strftime('%Y%m%d_%H%M%S_%f')}"
        moved: list[Path] = []
        for directory, numbered in (
            (self.checkpoints_dir, self.step_checkpoints()),
            (self.buffers_dir, self.step_buffers()),
        ):
            if newer_than is None:
                paths = (
                    [p for p in directory.glob("*") if p.is_file()] if directory.is_dir() else []
                )
            else:
                paths = [p for step, p in numbered if step > newer_than]
            if not paths:
                continue
            aside = directory / stamp
            aside.mkdir()
            for path in paths:
                path.rename(aside / path.name)
                moved.append(aside / path.name)
            logger.warning("Moved %d file(s) of %s to %s.", len(paths), directory, aside)
        return moved

    # --- reading ---

    def load_checkpoint(self) -> LoadedCheckpoint:
        """The newest readable training checkpoint: `latest.pt`, else the step files.

        Each unreadable file is named in a warning. Raises ResumeError when files
        exist but none can be read, and FileNotFoundError when there are none.
        """
        candidates = [self.latest_path] if self.latest_path.exists() else []
        candidates += [path for _, path in self.step_checkpoints()]
        if not candidates:
            raise FileNotFoundError(f"no checkpoint in {self.checkpoints_dir}")
        for path in candidates:
            try:
                payload = read_checkpoint(path)
            except (CheckpointMismatchError, OSError) as error:
                logger.warning("Skipping checkpoint %s: %s", path, error)
                continue
            step = payload.get("global_step")
            if payload.get("format") != CHECKPOINT_FORMAT or not isinstance(step, int):
                logger.warning(
                    "Skipping checkpoint %s: it holds network weights but no training state.", path
                )
                continue
            if path != candidates[0]:
                logger.warning("Falling back to checkpoint %s (step %d).", path, step)
            return LoadedCheckpoint(path=path, step=step, payload=payload)
        names = ", ".join(str(path) for path in candidates)
        raise ResumeError(
            f"no readable checkpoint to resume from (tried {names}); "
            "start afresh with --no-resume (which overwrites this run) or another --run-name"
        )

    def load_buffer(self, buffer: ExperienceBuffer) -> Path | None:
        """Fill `buffer` from the newest readable step buffer; the file used, or None if none.

        The newest readable one is taken even when it is newer than the checkpoint
        (after a checkpoint fallback): it holds the most self-play, which is what is
        expensive to redo. Raises ResumeError when buffer files exist but none can be
        read, or one is readable but was saved with another capacity or replay mode.
        """
        candidates = self.step_buffers()
        for index, (step, path) in enumerate(candidates):
            try:
                buffer.load(path)
            except BufferFileError as error:
                logger.warning("Skipping buffer %s: %s", path, error)
                continue
            except BufferStateError as error:  # readable, but for another buffer
                raise ResumeError(f"cannot resume the replay buffer: {error}") from error
            if index:
                logger.warning("Falling back to buffer %s (step %d).", path, step)
            return path
        if candidates:
            names = ", ".join(str(path) for _, path in candidates)
            raise ResumeError(f"no readable replay buffer to resume from (tried {names})")
        return None
