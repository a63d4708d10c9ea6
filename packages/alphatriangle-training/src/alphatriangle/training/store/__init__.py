"""A run's saved state on disk: checkpoints and replay buffers, what a checkpoint holds
beside the weights and putting it all back on resume, and the run-state file.

Nothing is imported here, so that importing a part loads only what that part needs.
"""
