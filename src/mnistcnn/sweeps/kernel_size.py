"""The convolution window (the seeds' "spatial extent")."""

FIELD = "kernel_size"
VALUES = (2, 3, 5, 7)
LABEL = "Kernel size"
