"""Ray for a run: the environment Ray reads when it is imported, joining a cluster or
starting a private Ray (with token authentication where the cluster asks for it), the
nodes parts run on, and how many workers and trainer threads the CPUs allow.

Nothing is imported here: `auth` and `environment` must be usable before Ray is imported.
"""
