"""A person's image read and prepared as MNIST's digits were: any file Pillow opens, in any
mode, reduced before it is decoded whole (image_input), the ink told from its paper
(ink), the printed lines of ruled paper taken away (ruling), and the 28x28 digit the
network is shown (preprocess). It may use the core, nothing else; no TensorFlow.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "MAX_PIXELS": "image_input",
    "load_rgb": "image_input",
    "prepare_image": "preprocess",
    "preprocess_image": "preprocess",
})
