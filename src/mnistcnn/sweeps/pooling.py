"""Max vs average pooling vs a stride-2 convolution in its place."""

FIELD = "pooling"
VALUES = ("max", "average", "none")
LABEL = "Pooling"
