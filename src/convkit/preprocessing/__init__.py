"""keras.preprocessing's paths that Keras 3 still has for inference scripts:
`convkit.preprocessing.sequence.pad_sequences` and `convkit.preprocessing.image.load_img` /
`img_to_array` / `array_to_img` / `save_img` (the same functions as in convkit.utils)."""
from convkit.preprocessing import image, sequence

__all__ = ["image", "sequence"]
