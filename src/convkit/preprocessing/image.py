"""keras.preprocessing.image: Keras's image file helpers (the ones in convkit.utils; they need Pillow)."""
from convkit._image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
