"""Agent base class (stand-in)."""


class Agent:
    """Base class of agents whose methods are decorated with @action."""
