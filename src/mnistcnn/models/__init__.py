"""The networks: the one model factory and its registry (networks), ensembles as one model
(ensemble), and the learning-rate schedules (schedules) that training follows and the
reports draw, here so that neither reaches into the other. It may use the core only.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "ARCHITECTURES": "networks",
    "build_model": "networks",
    "combine": "ensemble",
    "learning_rate_schedule": "schedules",
    "members": "ensemble",
})
