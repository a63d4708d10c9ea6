"""Token authentication for joining a Ray cluster, the way Ray's CLI finds the token.

`ray start --head` turns token authentication on whenever it finds a token, and from
then on the cluster refuses every driver whose Ray is not in token mode. A driver's
`ray.init(address=...)` never turns that mode on by itself, and Ray reads the mode
from `RAY_AUTH_MODE` once, when it is imported. So the command line calls
`enable_token_auth_if_available` before anything imports Ray. This module must not
import Ray.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

AUTH_MODE_ENV = "RAY_AUTH_MODE"
AUTH_TOKEN_ENV = "RAY_AUTH_TOKEN"
AUTH_TOKEN_PATH_ENV = "RAY_AUTH_TOKEN_PATH"
DEFAULT_TOKEN_FILE = Path("~/.ray/auth_token")
"""Where `ray start --head` and `ray get-auth-token --generate` keep the token."""
TOKEN_ADVICE = (
    f"copy the cluster's token (`ray get-auth-token` on its head prints it) to "
    f"{DEFAULT_TOKEN_FILE} on this machine, or set {AUTH_TOKEN_ENV} to it, or "
    f"{AUTH_TOKEN_PATH_ENV} to a file that holds it"
)
"""What to do when the cluster's token authentication refuses this driver."""


def auth_token_source() -> str | None:
    """Where Ray would read this driver's token from, or None if there is no token.

    Ray's order: the `RAY_AUTH_TOKEN` variable, the file `RAY_AUTH_TOKEN_PATH` names,
    then `~/.ray/auth_token`.
    """
    if os.environ.get(AUTH_TOKEN_ENV, "").strip():
        return AUTH_TOKEN_ENV
    candidates = [DEFAULT_TOKEN_FILE.expanduser()]
    if os.environ.get(AUTH_TOKEN_PATH_ENV):
        candidates.insert(0, Path(os.environ[AUTH_TOKEN_PATH_ENV]).expanduser())
    for path in candidates:
        try:
            if path.read_text().strip():
                return str(path)
        except OSError:
            continue
    return None


def token_mode() -> bool:
    """Whether this process asks Ray for token authentication."""
    return os.environ.get(AUTH_MODE_ENV, "").lower() == "token"


def enable_token_auth_if_available() -> str | None:
    """Set `RAY_AUTH_MODE=token` when it is unset and a token exists; returns the token's source.

    A cluster without authentication accepts a driver in token mode all the same; a
    mode the user set (`disabled` included) is left as it is. Once Ray is imported the
    variable no longer counts, so then it is only reported.
    """
    source = auth_token_source()
    if os.environ.get(AUTH_MODE_ENV) is not None or source is None:
        return source
    if "ray" in sys.modules:
        logger.warning(
            "Ray was imported before %s could be set: a cluster with token "
            "authentication will refuse this driver unless %s=token is in its "
            "environment from the start.",
            AUTH_MODE_ENV,
            AUTH_MODE_ENV,
        )
        return source
    os.environ[AUTH_MODE_ENV] = "token"
    return source
