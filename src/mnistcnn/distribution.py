"""Where training runs: one device or several GPUs, via tf.distribute.

  auto      MirroredStrategy when more than one GPU is visible, else the default
  default   TensorFlow's default strategy (one device)
  mirrored  MirroredStrategy over every visible GPU (or the CPU)

`batch_size` is per replica, so the global batch is batch_size x replicas, as the
Keras distributed-training guide does; the learning rate is left as configured.

Several machines: Keras 3 cannot yet fit under MultiWorkerMirroredStrategy
(keras-team/keras#20585; reproduced here with Keras 3.15 and TensorFlow 2.21), so
machines share work through sharded sweeps (`mnistcnn sweep NAME --shard K/N`).
"""

from mnistcnn.errors import UsageError

STRATEGIES = ("auto", "default", "mirrored")


def make_strategy(name: str):
    """The tf.distribute strategy called `name`."""
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy '{name}'; choose one of: {', '.join(STRATEGIES)}")
    from mnistcnn.runtime import import_keras

    import_keras()
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
