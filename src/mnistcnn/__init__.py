"""mnistcnn: an experiment suite for convolutional networks on MNIST digits."""

__version__ = "0.1.0"
