"""Non-linear activation functions after each hidden layer."""

FIELD = "activation"
VALUES = ("relu", "elu", "tanh", "sigmoid", "gelu")
LABEL = "Activation"
