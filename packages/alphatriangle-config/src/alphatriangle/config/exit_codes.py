"""The exit codes of both command lines (`uv run apps/train`, `uv run apps/eval`), in one place.

Training (`run_training`): 0 the run reached its step limit or spent its time budget; 1
it failed (see the log; the last good checkpoint stays); 2 bad input: arguments, config
values, a saved state or `--load-checkpoint` that cannot be used, a Ray cluster that
cannot be joined (nothing was overwritten); 130 stopped by SIGINT (Ctrl-C) and 143 by
SIGTERM, after saving. Evaluation: 0 done; 2 bad input (an unknown player, a checkpoint
that cannot be used, a run without an MLflow store), before anything is written.
"""

from __future__ import annotations

import signal

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
"""130, what a shell reports for a Ctrl-C."""
EXIT_TERMINATED = 128 + signal.SIGTERM
"""143, what a shell reports for `kill`."""
