"""IR -> IR passes. Each takes a Function and returns it transformed (in place)."""
from .dce import eliminate_dead_code

__all__ = ["eliminate_dead_code"]
