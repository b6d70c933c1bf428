"""keras.preprocessing.sequence: pad_sequences (the one in convkit.utils)."""
from convkit.utils import pad_sequences

__all__ = ["pad_sequences"]
