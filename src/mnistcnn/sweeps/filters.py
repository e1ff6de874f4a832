"""Width: filters of the first convolution (the second has twice as many)."""

FIELD = "filters"
VALUES = (8, 16, 32, 64)
LABEL = "Filters"
