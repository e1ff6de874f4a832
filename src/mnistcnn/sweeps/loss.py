"""Five losses, all trained on the same one-hot labels."""

FIELD = "loss"
VALUES = ("categorical_crossentropy", "mean_squared_error", "categorical_hinge", "kl_divergence", "poisson")
LABEL = "Loss"
