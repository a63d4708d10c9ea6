"""The evaluation app of AlphaTriangle (`uv run apps/eval`): players by name side by side on
the same fixed seeds, a table and `results.json`, score and learning-curve charts, GIFs.

`alphatriangle.eval.cli.main(argv) -> int` is the command line. Only this package draws
(matplotlib, Pillow) and prints tables (rich); it reads runs through their checkpoints
and the MLflow store, never through the training package.
"""
