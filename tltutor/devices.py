"""What hardware is in use, and the precision and compilation choices that suit it.

Mixed precision pays on GPUs with tensor cores and costs on CPUs; XLA pays on GPUs and is
5–10× slower on the CPUs measured here. :func:`recommended_precision` and
:func:`recommended_jit_compile` encode those measurements.

Example:
    >>> from tltutor import devices
    >>> print(devices.device_report())            # doctest: +SKIP
    backend tensorflow, keras 3.15.1, ... devices: CPU
"""

from __future__ import annotations

import contextlib
import importlib.metadata
from dataclasses import dataclass, field

import keras


@dataclass
class DeviceReport:
    backend: str
    keras_version: str
    framework_version: str
    accelerators: list[str] = field(default_factory=list)
    compute_capabilities: list[tuple[int, int]] = field(default_factory=list)
    precision: str = "float32"
    jit_compile: bool = False

    @property
    def has_gpu(self) -> bool:
        return bool(self.accelerators)

    def __str__(self):
        devices = ", ".join(self.accelerators) if self.accelerators else "CPU only"
        return (f"backend {self.backend} {self.framework_version}, keras {self.keras_version}; devices: {devices}; "
                f"precision {self.precision}; XLA {'on' if self.jit_compile else 'off'}")


def _accelerators():
    backend = keras.backend.backend()
    names, capabilities = [], []
    if backend == "tensorflow":
        import tensorflow as tf

        for device in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(device)
            names.append(details.get("device_name", device.name))
            capabilities.append(tuple(details.get("compute_capability", (0, 0))))
        names += [device.name for device in tf.config.list_logical_devices("TPU")]
    elif backend == "jax":
        import jax

        for device in jax.devices():
            if device.platform == "gpu":
                names.append(getattr(device, "device_kind", "GPU"))
                capability = getattr(device, "compute_capability", "0.0")
                capabilities.append(tuple(int(part) for part in str(capability).split(".")[:2]))
            elif device.platform == "tpu":
                names.append("TPU")
    return names, capabilities


def _framework_version():
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, "numpy")
    return importlib.metadata.version(module)


def recommended_precision(compute_capabilities=None, accelerators=None) -> str:
    """``mixed_bfloat16`` on TPUs and GPUs of compute capability ≥ 8, ``mixed_float16`` on 7.x, else ``float32``."""
    if compute_capabilities is None or accelerators is None:
        accelerators, compute_capabilities = _accelerators()
    if any(name == "TPU" or "TPU" in name for name in accelerators):
        return "mixed_bfloat16"
    if not compute_capabilities:
        return "float32"
    lowest = min(compute_capabilities)
    if lowest >= (8, 0):
        return "mixed_bfloat16"
    if lowest >= (7, 0):
        return "mixed_float16"
    return "float32"


def recommended_jit_compile(accelerators=None) -> bool:
    """XLA only on accelerators: on the CPUs measured here it made training 5–10× slower."""
    if accelerators is None:
        accelerators, _ = _accelerators()
    return bool(accelerators)


def device_report() -> DeviceReport:
    """The backend, versions, accelerators, and the precision and XLA choices tltutor makes."""
    accelerators, capabilities = _accelerators()
    return DeviceReport(
        backend=keras.backend.backend(),
        keras_version=keras.__version__,
        framework_version=_framework_version(),
        accelerators=accelerators,
        compute_capabilities=capabilities,
        precision=recommended_precision(capabilities, accelerators),
        jit_compile=recommended_jit_compile(accelerators),
    )


@contextlib.contextmanager
def precision_policy(policy: str | None):
    """Use a Keras dtype policy inside the block and restore the previous one afterwards.

    ``"auto"`` picks :func:`recommended_precision`; ``None`` leaves the policy alone.
    """
    previous = keras.config.dtype_policy()
    if policy == "auto":
        policy = recommended_precision()
    try:
        if policy is not None:
            keras.config.set_dtype_policy(policy)
        yield policy or previous.name
    finally:
        keras.config.set_dtype_policy(previous)
