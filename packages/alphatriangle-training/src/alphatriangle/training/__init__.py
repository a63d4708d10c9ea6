"""The headless training pipeline of AlphaTriangle (setup, loop, workers, runner)."""
