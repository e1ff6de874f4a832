"""The learning rate of the optimizer, over three orders of magnitude."""

FIELD = "learning_rate"
VALUES = (1e-4, 1e-3, 1e-2, 1e-1)
LABEL = "Learning rate"
