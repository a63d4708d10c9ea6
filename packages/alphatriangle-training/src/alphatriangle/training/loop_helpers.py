"""The seed's `loop_helpers` module: `LoopHelpers` (the progress line) now lives in
`telemetry/progress.py` and `validate_result` (the checks on incoming games) in
`roles/result_intake.py`; this name hands both on."""

from .roles.result_intake import validate_result
from .telemetry.progress import LoopHelpers

__all__ = ["LoopHelpers", "validate_result"]
