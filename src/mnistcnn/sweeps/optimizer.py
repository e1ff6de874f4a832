"""Optimizers at their usual learning rate."""

FIELD = "optimizer"
VALUES = ("sgd", "momentum", "rmsprop", "adam", "adamw", "nadam")
LABEL = "Optimizer"
