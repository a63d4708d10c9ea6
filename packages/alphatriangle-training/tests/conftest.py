"""A tiny configuration that trains in seconds on a 2-core machine."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_TOML = """
[model]
trunk_channels = 8
num_residual_blocks = 1
value_hidden_dim = 16

[train]
games_per_worker = 8
min_buffer_size_to_train = 48
batch_size = 16
buffer_capacity = 2000
checkpoint_save_freq_steps = 10
buffer_save_freq_steps = 10
stats_interval_seconds = 0.3
progress_interval_seconds = 1.0
worker_update_freq_steps = 5
max_episode_length = 40

[mcts]
max_simulations = 4
gumbel_max_considered_actions = 4
"""


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path
