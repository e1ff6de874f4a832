"""Where training runs: one device, several GPUs, or several machines, via tf.distribute.

  auto          MirroredStrategy when more than one GPU is visible, else the default
  default       TensorFlow's default strategy (one device)
  mirrored      MirroredStrategy over every visible GPU (or the CPU)
  multi-worker  MultiWorkerMirroredStrategy over the machines the TF_CONFIG
                environment variable names; every worker runs the same command

`batch_size` is per replica, so the global batch is batch_size x replicas, as the
Keras distributed-training guide does; the learning rate is left as configured.
Under multi-worker only the chief (worker 0) writes models.

Keras 3.15's `fit` trips over MultiWorkerMirroredStrategy in three places
(keras-team/keras#20585): it reduces a whole distributed batch as one tensor to
build the model, it averages scalar metrics "along axis 0", and its multi-step loop
leaves a placeholder unfed. `prepare_for_multi_worker` works around the first two
narrowly, and train() runs one step per execution there.
"""

import json
import os

from mnistcnn.core import UsageError

STRATEGIES = ("auto", "default", "mirrored", "multi-worker")


def make_strategy(name: str):
    """The tf.distribute strategy called `name`."""
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy '{name}'; choose one of: {', '.join(STRATEGIES)}")
    if name == "multi-worker":
        _check_tf_config()
    from mnistcnn.core import gpu_count, import_keras

    import_keras()
    import tensorflow as tf

    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored" or (name == "auto" and gpu_count() > 1):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _check_tf_config() -> None:
    text = os.environ.get("TF_CONFIG")
    example = ('e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    if not text:
        raise UsageError(f"--strategy multi-worker needs TF_CONFIG naming the cluster and this worker; {example}")
    try:
        config = json.loads(text)
        workers, task = config["cluster"]["worker"], config["task"]
        if not 0 <= int(task["index"]) < len(workers):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"TF_CONFIG is not a cluster with this worker's index in it; {example}") from None


def is_multi_worker(strategy) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy) -> bool:
    """Whether this process writes results: always, except on workers other than worker 0."""
    if strategy is None or not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    return resolver.task_type in ("chief", None) or (resolver.task_type == "worker" and resolver.task_id == 0)


def prepare_for_multi_worker(model, sample_batch) -> None:
    """Let Keras's `fit` run `model` under MultiWorkerMirroredStrategy (see the module notes).

    Args:
        model: compiled inside the strategy's scope.
        sample_batch: (images, labels) of a few plain examples, to build the model from.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=(*sample_batch, None))
    # Built above from plain arrays; Keras's own build would reduce a distributed batch.
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    if not getattr(trainer.reduce_per_replica, "mnistcnn_multi_worker", False):
        keras_reduce = trainer.reduce_per_replica

        def reduce_per_replica(values, strategy, reduction):
            if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and reduction in ("auto", "mean"):
                # Metrics are scalars: average them over workers without an axis.
                return tf.nest.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
            return keras_reduce(values, strategy, reduction)

        reduce_per_replica.mnistcnn_multi_worker = True
        trainer.reduce_per_replica = reduce_per_replica
