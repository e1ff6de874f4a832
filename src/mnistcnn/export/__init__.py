"""A model's exported twins: SavedModel, ONNX and LiteRT files written and checked against
their `.h5` (formats), and an up-to-date twin found and used instead of Keras (twins).
It may use models, data and the core.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "FORMATS": "formats",
    "TWIN_RUNTIMES": "formats",
    "Twin": "twins",
    "export_model": "formats",
    "find_twin": "twins",
    "inference_model": "formats",
    "load_predictor": "twins",
})
