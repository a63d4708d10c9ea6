"""Help text of both command lines: every option's default said once, taken from its source."""

from __future__ import annotations

import argparse

from pydantic import BaseModel


class DefaultsOnceFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends `(default: X)` only where the help does not already say what the default is.

    Options that default to None (or to an empty list) take their value from elsewhere:
    the config file, the config models, the data directory. Their help names that
    default itself, and argparse's "(default: None)" would only contradict it.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default" in text or action.default in (None, argparse.SUPPRESS, []):
            return text
        return super()._get_help_string(action) or text


def config_default(model: type[BaseModel], name: str) -> object:
    """The default of config field `name`, so the help never disagrees with the models."""
    return model.model_fields[name].default
