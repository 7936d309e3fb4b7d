"""Train on several devices with the engines Keras already has: ``tf.distribute`` and ``keras.distribution``.

tltutor adds no engine of its own. It picks the right one for the backend and makes sure the
model is built, compiled and trained inside it:

- TensorFlow backend: a ``tf.distribute`` strategy, :func:`mirrored_strategy` for several GPUs
  on one machine or :func:`tpu_strategy` on a Colab TPU.
- JAX backend: :func:`data_parallel`, a ``keras.distribution.DataParallel`` over every device.

Pass the result as ``strategy=`` to :func:`tltutor.models.build_transfer_model`. tltutor keeps
it with the model's state (:mod:`tltutor.state`), and the training helpers train inside it. The batch size you give is the global batch,
split evenly across the replicas, so choose a multiple of :func:`replica_count`.

Example::

    strategy = tl.runtime.distribution.default_strategy()   # every GPU (or CPU) this backend sees
    model = tl.models.build_transfer_model(num_classes=10, image_size=224, strategy=strategy)
    tl.training.train_head(model, train, validation, epochs=5)
"""

from __future__ import annotations

import contextlib

import keras

from tltutor import validation


def mirrored_strategy(devices=None):
    """``tf.distribute.MirroredStrategy`` over ``devices`` (every GPU, or the CPU, when ``None``)."""
    _require_backend("tensorflow", "mirrored_strategy", "use data_parallel() with the JAX backend")
    import tensorflow as tf  # only with the TensorFlow backend

    return tf.distribute.MirroredStrategy(devices)


def tpu_strategy(address: str | None = None):
    """``tf.distribute.TPUStrategy`` on a Colab (or Cloud) TPU; a clear error where there is none."""
    _require_backend("tensorflow", "tpu_strategy", "use data_parallel() with the JAX backend on a TPU")
    import tensorflow as tf  # only with the TensorFlow backend

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError) as error:
        raise validation.InvalidArgumentError(
            f"no TPU was found ({error}). On Colab choose Runtime → Change runtime type → TPU; elsewhere "
            "use mirrored_strategy() or no strategy") from error
    return tf.distribute.TPUStrategy(resolver)


def data_parallel(devices=None):
    """``keras.distribution.DataParallel`` over ``devices`` (all of JAX's devices when ``None``)."""
    _require_backend("jax", "data_parallel", "use mirrored_strategy() with the TensorFlow backend")
    return keras.distribution.DataParallel(devices=devices)


def default_strategy():
    """The data-parallel engine of the active backend over all its devices, or ``None`` with one device."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # only with the TensorFlow backend

        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    if backend == "jax":
        import jax  # only with the JAX backend

        return keras.distribution.DataParallel() if len(jax.devices()) > 1 else None
    return None


def _require_backend(backend: str, what: str, instead: str) -> None:
    if keras.backend.backend() != backend:
        raise validation.InvalidArgumentError(
            f"{what}() needs the {backend} backend, but Keras runs on {keras.backend.backend()!r}: {instead}")


def is_keras_distribution(strategy) -> bool:
    """Whether ``strategy`` is a ``keras.distribution`` distribution (their base class is not exported)."""
    return hasattr(strategy, "device_mesh") and hasattr(strategy, "get_data_layout")


def replica_count(strategy) -> int:
    """How many devices share each batch (1 without a strategy)."""
    if strategy is None:
        return 1
    if hasattr(strategy, "num_replicas_in_sync"):
        return int(strategy.num_replicas_in_sync)
    if is_keras_distribution(strategy):
        return int(strategy.device_mesh.devices.size)
    raise validation.InvalidArgumentError(f"strategy must be a tf.distribute strategy, a keras.distribution "
                                          f"Distribution or None; got {type(strategy).__name__}")


def check_strategy(strategy):
    """Refuse an engine that does not belong to the active backend, with what to use instead."""
    if strategy is None:
        return None
    replica_count(strategy)
    backend = keras.backend.backend()
    if is_keras_distribution(strategy) and backend != "jax":
        raise validation.InvalidArgumentError(
            f"keras.distribution works with the JAX backend, but Keras runs on {backend!r}: use "
            "tl.runtime.distribution.mirrored_strategy() instead")
    if hasattr(strategy, "num_replicas_in_sync") and backend != "tensorflow":
        raise validation.InvalidArgumentError(
            f"tf.distribute strategies work with the TensorFlow backend, but Keras runs on {backend!r}: use "
            "tl.runtime.distribution.data_parallel() instead")
    return strategy


@contextlib.contextmanager
def scope(strategy):
    """Enter ``strategy``'s scope (variables and training live on its devices); nothing when ``None``."""
    strategy = check_strategy(strategy)
    if strategy is None:
        yield None
        return
    with strategy.scope():
        yield strategy

