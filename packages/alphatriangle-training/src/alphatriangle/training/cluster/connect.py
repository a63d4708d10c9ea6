"""Joining a Ray cluster, or starting a private local Ray, and never waiting forever.

What Ray's own `ray.init` does here (ray 2.60), and what this module does instead:

- Without an address, `ray.init()` joins the cluster the machine's
  `ray_current_cluster` file records (written by `ray start`), and when that head has
  died it retries without end. A run without `--ray-address` passes `"local"`: it
  always starts its own private Ray, whatever other clusters exist or existed.
- With an address, `ray.init` never turns token authentication on by itself, while
  `ray start --head` does whenever a token exists (then every driver is refused
  without `RAY_AUTH_MODE=token`). When the mode is unset and a token is available
  where Ray's CLI looks, the mode is set to `token` before Ray is imported (`ray_auth`).
- With an address where nothing answers, `ray.init` retries for many minutes. The
  address must accept a connection within `ray_connect_timeout`; Ray's own retries
  are held to what is left of that time, and a watchdog ends the process with exit 2
  should `ray.init` still block when the time is up.

Every failure to join is a `ClusterJoinError` whose message names the address and
says what to check or set; the runner reports it and exits 2 (bad input).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import ray

from alphatriangle.config import RunContext
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT

from .auth import AUTH_MODE_ENV, TOKEN_ADVICE, enable_token_auth_if_available, token_mode
from .nodes import alive_nodes, driver_node_id, short_id

logger = logging.getLogger(__name__)

GCS_CONNECT_ATTEMPTS_ENV = "RAY_gcs_server_port_wait_time_s"
"""How many one-second attempts `ray.init` makes to reach the cluster's GCS."""
RAY_ADDRESS_ENV = "RAY_ADDRESS"


class ClusterJoinError(RuntimeError):
    """The Ray cluster at the given address cannot be joined (bad input: exit 2)."""


def split_address(address: str) -> tuple[str, int]:
    """`"10.0.0.5:6379"` -> `("10.0.0.5", 6379)`; `"[::1]:6379"` -> `("::1", 6379)`."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def wait_until_listening(address: str, deadline: float) -> None:
    """Until something at `address` accepts a TCP connection; ClusterJoinError at `deadline`."""
    host, port = split_address(address)
    last_error: OSError | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ClusterJoinError(
                f"no Ray cluster answers at {address} ({last_error}): start its head with "
                f"`ray start --head --port {port}`, or check the address and that the port "
                "is reachable from this machine"
            )
        try:
            with socket.create_connection((host, port), timeout=min(remaining, 5.0)):
                return
        except OSError as error:
            last_error = error
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


@contextmanager
def exit_if_still_running(seconds: float, message: str) -> Iterator[None]:
    """Ends the process with exit 2 and `message` if the block runs longer than `seconds`.

    Only for calls that cannot be interrupted otherwise (`ray.init` blocks in C++,
    where neither signals nor exceptions reach it). The process has written nothing
    that needs saving at that point: the run's state is untouched.
    """

    def give_up() -> None:
        logger.error(message)
        print(f"error: {message}", file=sys.stderr, flush=True)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_BAD_INPUT)

    watchdog = threading.Timer(seconds, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()


def join_cluster(address: str, timeout_s: float) -> None:
    """Connect this driver to the running cluster at `address` within `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    token_source = enable_token_auth_if_available()
    logger.info(
        "Joining the Ray cluster at %s (for at most %g s)%s.",
        address,
        timeout_s,
        f" with token authentication, the token from {token_source or 'nowhere: none found'}"
        if token_mode()
        else "",
    )
    wait_until_listening(address, deadline)
    remaining = max(1.0, deadline - time.monotonic())
    stuck = (
        f"the Ray cluster at {address} did not let this driver join within {timeout_s:g} s "
        f"(--ray-connect-timeout): check that it is the port of a Ray head "
        f"(`ray start --head --port PORT`); if the cluster uses token authentication, "
        f"{TOKEN_ADVICE}"
    )
    attempts_before = os.environ.get(GCS_CONNECT_ATTEMPTS_ENV)
    if attempts_before is None:
        # Ray tries once a second; it gives up (and says why) a little before the watchdog.
        os.environ[GCS_CONNECT_ATTEMPTS_ENV] = str(max(1, math.floor(remaining) - 2))
    try:
        with exit_if_still_running(remaining, stuck):
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except ray.exceptions.AuthenticationError as error:
        raise ClusterJoinError(
            f"cannot join the Ray cluster at {address}: it asks for an authentication "
            f"token and this machine has none; {TOKEN_ADVICE}"
        ) from error
    except (ConnectionError, RuntimeError) as error:
        if not token_mode():
            advice = (
                f"a cluster with token authentication (what `ray start --head` turns on "
                f"when it finds a token) needs {AUTH_MODE_ENV}=token in this run's "
                f"environment and its token: {TOKEN_ADVICE}"
            )
        elif token_source is None:
            advice = f"if the cluster uses token authentication, {TOKEN_ADVICE}"
        else:
            advice = (
                f"if the cluster uses token authentication, the token from {token_source} "
                f"is not the cluster's: {TOKEN_ADVICE}"
            )
        raise ClusterJoinError(
            f"cannot join the Ray cluster at {address}: Ray refused this driver ({error}); {advice}"
        ) from error
    finally:
        if attempts_before is None:
            os.environ.pop(GCS_CONNECT_ATTEMPTS_ENV, None)
    logger.info(
        "Joined the Ray cluster at %s: %d node(s); this driver runs on node %s.",
        address,
        len(alive_nodes()),
        short_id(driver_node_id()),
    )


def start_private_ray() -> None:
    """Start a Ray of this run's own on this machine, never joining another cluster."""
    if os.environ.get(RAY_ADDRESS_ENV):
        logger.warning(
            "%s=%s is ignored: a run joins a cluster only with --ray-address.",
            RAY_ADDRESS_ENV,
            os.environ[RAY_ADDRESS_ENV],
        )
    ray.init(address="local", include_dashboard=False, log_to_driver=False, configure_logging=False)
    logger.info("Started a private local Ray (GCS at %s).", ray.get_runtime_context().gcs_address)


def init_ray(run_context: RunContext) -> bool:
    """Join `run_context.ray_address`, or start a private local Ray; True if this call
    connected Ray (shutting it down then stops the private Ray, or leaves the cluster).

    The variables Ray reads are set already (`environment`, when the package was
    imported). A cluster that cannot be joined within `ray_connect_timeout` raises
    ClusterJoinError.
    """
    if ray.is_initialized():
        return False
    if run_context.ray_address:
        join_cluster(run_context.ray_address, run_context.ray_connect_timeout)
    else:
        start_private_ray()
    return True
