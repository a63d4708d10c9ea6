"""What a run tells people: metric events to the trieye stats actor (and its one clock
workaround), the MLflow run, console and file logs, and the progress line.

Nothing is imported here, so that importing a part loads only what that part needs.
"""
