"""Console and file logging of the driver, and how long it took the process to get going."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

logger = logging.getLogger(__name__)
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
QUIET_LOGGERS = ("ray", "mlflow", "alembic", "urllib3", "trieye", "filelock")
_IMPORTED_AT = time.monotonic()


def seconds_since_process_start() -> float:
    """Seconds since this process was started, imports included.

    Start-up cost is mostly imports, so it is read from /proc where there is one
    (Linux); elsewhere it counts from when this module was imported.
    """
    try:
        fields = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / ticks
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT


def setup_logging(level: str, log_file: Path | None = None) -> None:
    """Compact console logging at `level`; everything at DEBUG to `log_file` if given."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_alphatriangle", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler()
    console.setLevel(level.upper())
    console.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    console._alphatriangle = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._alphatriangle = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def remove_logging_handlers() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_alphatriangle", False):
            root.removeHandler(handler)
            handler.close()
