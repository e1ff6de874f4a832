"""Reading people's digits: image files predicted by a model or its twin (prediction), with
probabilities calibrated on validation and words when the model is unsure
(calibration). It may use export, models, data, images and the core.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "Calibration": "calibration",
    "MARGIN": "calibration",
    "Prediction": "prediction",
    "calibration_for": "calibration",
    "calibration_path": "calibration",
    "expand_paths": "prediction",
    "expected_calibration_error": "calibration",
    "fit_temperature": "calibration",
    "negative_log_likelihood": "calibration",
    "predict_images": "prediction",
    "temper": "calibration",
})
