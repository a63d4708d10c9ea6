"""The parts of a run that work beside the loop on Ray: the self-play workers and their
manager, the periodic evaluation, and the intake that checks each finished game.

Nothing is imported here, so that importing a part loads only what that part needs.
"""
