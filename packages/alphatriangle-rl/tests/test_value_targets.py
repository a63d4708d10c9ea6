"""n-step value targets against a direct sum of discounted rewards."""

from __future__ import annotations

import numpy as np
import pytest

from alphatriangle.rl import n_step_value_targets


def direct(
    rewards: list[float], values: list[float], gamma: float, n: int, tail: float
) -> list[float]:
    out = []
    extended = [*values, tail]
    for t in range(len(rewards)):
        total, k = 0.0, 0
        while k < n and t + k < len(rewards):
            total += gamma**k * rewards[t + k]
            k += 1
        out.append(total + gamma**k * extended[t + k])
    return out


@pytest.mark.parametrize(("n", "tail"), [(1, 0.0), (3, 0.0), (3, 5.0), (100, 2.0)])
def test_n_step_targets_match_the_definition(n: int, tail: float) -> None:
    rng = np.random.default_rng(n)
    rewards = rng.uniform(0, 2, 7).tolist()
    values = rng.uniform(0, 10, 7).tolist()
    got = n_step_value_targets(
        np.array(rewards), np.array(values), discount=0.9, n_step=n, bootstrap_value=tail
    )
    np.testing.assert_allclose(got, direct(rewards, values, 0.9, n, tail), rtol=1e-5)


def test_monte_carlo_targets_ignore_search_values() -> None:
    got = n_step_value_targets(
        np.array([1.0, 1.0, 1.0]),
        np.array([50.0, 50.0, 50.0]),
        discount=1.0,
        n_step=None,
        bootstrap_value=0.0,
    )
    np.testing.assert_allclose(got, [3.0, 2.0, 1.0])
