"""What `serve` bounds so that no request, or crowd of requests, can take the machine: the
bytes of a request's body, and how many uploads are prepared at once.
"""

import threading
from contextlib import contextmanager

from starlette.exceptions import HTTPException

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a phone photo fits; anything larger is not a digit
FORM_BYTES = 64 * 1024  # room for the multipart form around the image (boundaries, other fields)
PREPROCESSINGS_AT_ONCE = 2
PREPROCESSING_WAIT_SECONDS = 10.0


class UploadTooLarge(HTTPException):
    """A request body past the limit. An HTTPException, because FastAPI passes those on from
    reading a form (any other error there becomes a 400 "error parsing the body")."""

    def __init__(self, message: str):
        super().__init__(status_code=413, detail=message)


class ServerBusy(Exception):
    """Every preparation slot stayed taken for the whole wait."""


def too_large(name: str = "upload", size: int | None = None) -> str:
    """The one line for an upload over the limit: its size where it is known, else "more than"
    the limit, since a body is read only that far."""
    limit = f"{MAX_UPLOAD_BYTES / 1e6:.1f} MB"
    shown = f"{size / 1e6:.1f} MB" if size is not None else limit
    if shown == limit:  # rounded to the limit's own figure, the size would not read as larger
        return f"{name}: more than {limit} is too large for a digit image; crop or shrink it"
    return f"{name}: {shown} is too large for a digit image (the limit is {limit}); crop or shrink it"


class BodyLimit:
    """ASGI middleware that counts each request's body as it arrives and stops at `limit` bytes.

    A Content-Length header is only a client's claim, and a chunked upload makes none: reading
    up to what was declared, or to the end, would let a 200 MB upload be spooled to disk before
    the endpoint could look at it. So the count is kept on every message the app receives, and
    the request ends in a 413 (UploadTooLarge, answered by the app's handler) as soon as it
    passes the limit; a declared size over it is refused before a byte is read.
    """

    def __init__(self, app, limit: int = MAX_UPLOAD_BYTES + FORM_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        declared = int(declared) if declared.isdigit() else None
        received = 0

        async def counted_receive():
            nonlocal received
            if declared is not None and declared > self.limit:
                raise UploadTooLarge(too_large(size=declared))
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise UploadTooLarge(too_large())
            return message

        await self.app(scope, counted_receive, send)


class PreprocessingSlots:
    """At most `count` uploads prepared at once.

    Preparing a large photo costs far more memory than the 28x28 image it yields (issue 29
    measured about 3 GB for a 49-megapixel PNG), and the endpoint runs in a thread pool that
    starts as many at once as requests arrive, so a handful of concurrent uploads could exhaust
    the machine. Two slots keep two cores busy. A request waits for a slot rather than being
    turned away at once, since a drawing takes milliseconds and a class drawing together should
    queue, not fail; but only for `wait_seconds`, after which it is answered "busy": waiting
    without end would hold the pool's threads, which the other pages need too.
    """

    def __init__(self, count: int = PREPROCESSINGS_AT_ONCE, wait_seconds: float = PREPROCESSING_WAIT_SECONDS):
        self.count, self.wait_seconds = count, wait_seconds
        self._slots = threading.BoundedSemaphore(count)

    @contextmanager
    def held(self):
        """Hold a slot for the block; ServerBusy if none frees within `wait_seconds`."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise ServerBusy(f"the server is busy preparing {self.count} other images; try again in a moment")
        try:
            yield
        finally:
            self._slots.release()
