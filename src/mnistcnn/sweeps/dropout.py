"""Dropout before the classifier."""

FIELD = "dropout"
VALUES = (0.0, 0.25, 0.5, 0.75)
LABEL = "Dropout"
