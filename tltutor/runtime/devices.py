"""What hardware is in use, and the precision and compilation choices that suit it.

Mixed precision pays on GPUs with tensor cores and costs on CPUs; XLA pays on GPUs and is
5–10× slower on the CPUs measured here (with TensorFlow; JAX always compiles). The
``recommended_*`` functions encode those measurements, and the training helpers use them by
default. :func:`largest_batch_size_that_fits` halves a batch size until a step fits in memory.

Examples:
    >>> from tltutor.runtime import devices
    >>> report = devices.device_report()
    >>> report.backend in ("tensorflow", "jax", "torch", "numpy")
    True
    >>> devices.recommended_precision([(8, 0)], ["NVIDIA H100"]), devices.recommended_precision([], [])
    ('mixed_bfloat16', 'float32')

``TLTUTOR_PRECISION`` (``float32``, ``mixed_float16`` or ``mixed_bfloat16``) overrides what the
detected hardware would get: the tests force the Colab T4's ``mixed_float16`` on a CPU with it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import keras

from tltutor import validation

PRECISION_VARIABLE = "TLTUTOR_PRECISION"
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclass
class DeviceReport:
    backend: str
    keras_version: str
    framework_version: str
    accelerators: list[str] = field(default_factory=list)
    compute_capabilities: list[tuple[int, int]] = field(default_factory=list)
    precision: str = "float32"
    jit_compile: bool = False
    steps_per_execution: int = 1

    @property
    def has_gpu(self) -> bool:
        return bool(self.accelerators)

    def __str__(self):
        devices = ", ".join(self.accelerators) if self.accelerators else "CPU only"
        return (f"backend {self.backend} {self.framework_version}, keras {self.keras_version}; devices: {devices}; "
                f"precision {self.precision}; XLA {'on' if self.jit_compile else 'off'}; "
                f"steps per execution {self.steps_per_execution}")


INT8_DOT_PRODUCT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")  # x86 VNNI and AMX, Arm dot product


def processor_description(cpuinfo: str | None = None) -> str:
    r"""The CPU's name and whether it has 8-bit dot-product instructions, which int8 inference speed depends on.

    Reads ``/proc/cpuinfo`` (Linux) unless ``cpuinfo`` is given; elsewhere, the platform's name only.

    Examples:
        >>> processor_description("model name : AMD EPYC\nflags : fpu avx2 fma\n")
        'AMD EPYC, 8-bit dot-product instructions: none found'
        >>> processor_description("model name : Intel Xeon\nflags : avx2 avx512f avx512_vnni\n")
        'Intel Xeon, 8-bit dot-product instructions: avx512_vnni'
        >>> processor_description("model name : Some CPU\n")
        'Some CPU, 8-bit dot-product instructions: unknown (the system lists no CPU flags)'
    """
    if cpuinfo is None:
        with contextlib.suppress(OSError):
            cpuinfo = Path("/proc/cpuinfo").read_text()
    if not cpuinfo:
        return platform.processor() or platform.machine() or "unknown processor"
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    name = fields.get("model name") or fields.get("Hardware") or platform.machine()
    if "flags" not in fields and "Features" not in fields:
        return f"{name}, 8-bit dot-product instructions: unknown (the system lists no CPU flags)"
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    found = [flag for flag in INT8_DOT_PRODUCT_FLAGS if flag in flags]
    return f"{name}, 8-bit dot-product instructions: {', '.join(found) if found else 'none found'}"


def _accelerators():
    backend = keras.backend.backend()
    names, capabilities = [], []
    if backend == "tensorflow":
        import tensorflow as tf  # only with the TensorFlow backend

        for device in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(device)
            names.append(details.get("device_name", device.name))
            capabilities.append(tuple(details.get("compute_capability", (0, 0))))
        names += [device.name for device in tf.config.list_logical_devices("TPU")]
    elif backend == "jax":
        import jax  # only with the JAX backend

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


def forced_precision() -> str | None:
    """The precision ``TLTUTOR_PRECISION`` forces, or ``None`` when it is unset."""
    value = os.environ.get(PRECISION_VARIABLE, "").strip()
    if not value:
        return None
    if value not in PRECISIONS:
        raise validation.InvalidArgumentError(
            f"{PRECISION_VARIABLE}={value!r} is not a precision tltutor uses: choose one of {', '.join(PRECISIONS)}, "
            "or unset it to follow the hardware")
    return value


def recommended_precision(compute_capabilities=None, accelerators=None) -> str:
    """``mixed_bfloat16`` on TPUs and GPUs of compute capability ≥ 8, ``mixed_float16`` on 7.x, else ``float32``.

    Without arguments it asks this machine's devices, unless ``TLTUTOR_PRECISION`` forces a precision.
    """
    if compute_capabilities is None or accelerators is None:
        forced = forced_precision()
        if forced is not None:
            return forced
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


def recommended_jit_compile(accelerators=None, backend: str | None = None) -> bool:
    """Whether to compile training steps with XLA.

    - JAX: always. Keras runs JAX without ``jit`` op by op, which is many times slower everywhere.
    - TensorFlow: only on accelerators. On the CPUs measured here XLA made training 5–10× slower.
    - Other backends: no.
    """
    backend = backend or keras.backend.backend()
    if backend == "jax":
        return True
    if backend != "tensorflow":
        return False
    if accelerators is None:
        accelerators, _ = _accelerators()
    return bool(accelerators)


def recommended_steps_per_execution(accelerators=None) -> int:
    """Training steps per call into the compiled function: 16 on accelerators, 1 on CPU.

    On an accelerator each call costs a host round trip that small steps cannot hide; on a CPU
    the step runs on the host anyway (see ``benchmarks`` in the README for the measurement).
    """
    if accelerators is None:
        accelerators, _ = _accelerators()
    return 16 if accelerators else 1


def recommended_batch_size(accelerators=None) -> int:
    """256 images per batch on accelerators (they need large batches to stay busy), 32 on CPU.

    If 256 does not fit, :func:`largest_batch_size_that_fits` finds the size that does.
    """
    if accelerators is None:
        accelerators, _ = _accelerators()
    return 256 if accelerators else 32


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an accelerator's out-of-memory error (TensorFlow's or XLA's)."""
    text = f"{type(error).__name__}: {error}"
    return any(marker in text for marker in ("ResourceExhausted", "RESOURCE_EXHAUSTED", "Out of memory",
                                             "out of memory", "OOM when allocating"))


def largest_batch_size_that_fits(try_batch_size, start: int = 256, minimum: int = 8) -> int:
    """Halve the batch size from ``start`` until ``try_batch_size(batch_size)`` runs without running out of memory.

    ``try_batch_size`` runs one training step at that size; errors other than out-of-memory propagate.

    Examples:
        >>> def step(batch_size):
        ...     if batch_size > 64:
        ...         raise RuntimeError("RESOURCE_EXHAUSTED: out of memory")
        >>> largest_batch_size_that_fits(step, start=256)
        64
    """
    batch_size = start
    while True:
        try:
            try_batch_size(batch_size)
            return batch_size
        except Exception as error:  # noqa: BLE001  only out-of-memory errors are handled
            if not is_out_of_memory(error):
                raise
            if batch_size // 2 < minimum:
                raise MemoryError(
                    f"even a batch of {batch_size} images does not fit in the accelerator's memory: use a smaller "
                    "image_size or a smaller backbone") from error
            batch_size //= 2


def device_report() -> DeviceReport:
    """The backend, versions, accelerators, and the precision and XLA choices tltutor makes."""
    accelerators, capabilities = _accelerators()
    return DeviceReport(
        backend=keras.backend.backend(),
        keras_version=keras.__version__,
        framework_version=_framework_version(),
        accelerators=accelerators,
        compute_capabilities=capabilities,
        precision=forced_precision() or recommended_precision(capabilities, accelerators),
        jit_compile=recommended_jit_compile(accelerators),
        steps_per_execution=recommended_steps_per_execution(accelerators),
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
