"""Images per training step."""

FIELD = "batch_size"
VALUES = (32, 64, 128, 256, 512)
LABEL = "Batch size"
