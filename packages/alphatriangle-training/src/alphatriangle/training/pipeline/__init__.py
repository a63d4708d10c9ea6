"""Building and running one training run: `setup` builds every part from a `RunContext`,
`loop` keeps the schedule, `runner` wraps both in logging, signals and cleanup.

Nothing is imported here, so that importing a part loads only what that part needs.
"""
