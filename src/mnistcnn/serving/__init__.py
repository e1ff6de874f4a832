"""`mnistcnn serve`: the FastAPI app and its JSON API (server), its limits on uploads and
on the work they cause (limits), and its pages (web/). It may use predicting, reports,
export, images and the core.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "FORM_BYTES": "limits",
    "MAX_UPLOAD_BYTES": "limits",
    "create_app": "server",
    "serve_in_background": "server",
})
