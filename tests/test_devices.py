import keras
import numpy as np

from tltutor.runtime import devices
from tltutor import models


def test_precision_decisions_by_device():
    assert devices.recommended_precision([], []) == "float32"
    assert devices.recommended_precision([(7, 0)], ["Tesla V100"]) == "mixed_float16"
    assert devices.recommended_precision([(9, 0)], ["H100"]) == "mixed_bfloat16"
    assert devices.recommended_precision([(6, 1)], ["GTX 1080"]) == "float32"
    assert devices.recommended_precision([], ["TPU"]) == "mixed_bfloat16"
    assert devices.recommended_jit_compile([]) is False and devices.recommended_jit_compile(["H100"]) is True


def test_cpu_report_chooses_float32_and_no_xla():
    report = devices.device_report()
    assert report.backend == keras.backend.backend() and not report.has_gpu
    assert report.precision == "float32" and report.jit_compile is False
    assert "CPU only" in str(report)


def test_auto_precision_is_float32_on_cpu_and_policy_is_restored():
    before = keras.config.dtype_policy().name
    model = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None)
    assert model.get_layer("base").dtype_policy.name == "float32"
    assert keras.config.dtype_policy().name == before


def test_mixed_precision_keeps_float32_outputs_and_restores_the_policy():
    before = keras.config.dtype_policy().name
    model = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None,
                                        precision="mixed_float16")
    assert keras.config.dtype_policy().name == before
    assert model.get_layer("base").get_layer("stem_conv").compute_dtype == "float16"
    output = model(np.zeros((1, 32, 32, 3), "float32") + 100)
    assert keras.backend.standardize_dtype(output.dtype) == "float32"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_xla_follows_the_backend_and_the_device():
    assert devices.recommended_jit_compile([], backend="jax") is True  # JAX without jit runs op by op
    assert devices.recommended_jit_compile(["H100"], backend="tensorflow") is True
    assert devices.recommended_jit_compile([], backend="tensorflow") is False
    assert devices.recommended_jit_compile(["H100"], backend="torch") is False


def test_steps_and_batch_size_follow_the_device():
    assert devices.recommended_steps_per_execution([]) == 1 and devices.recommended_steps_per_execution(["H100"]) > 1
    assert devices.recommended_batch_size([]) == 32 and devices.recommended_batch_size(["H100"]) == 256


def test_compiled_models_get_the_cpu_defaults():
    model = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights=None)
    assert model.jit_compile is False and model.steps_per_execution == 1


def test_batch_size_is_halved_until_a_step_fits():
    tried = []

    def step(batch_size):
        tried.append(batch_size)
        if batch_size > 48:
            raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 3.2GiB")

    assert devices.largest_batch_size_that_fits(step, start=256) == 32
    assert tried == [256, 128, 64, 32]


def test_only_out_of_memory_errors_shrink_the_batch():
    def broken(batch_size):
        raise ValueError("shapes do not match")

    def never_fits(batch_size):
        raise RuntimeError("ResourceExhaustedError: OOM when allocating tensor")

    import pytest

    with pytest.raises(ValueError, match="shapes"):
        devices.largest_batch_size_that_fits(broken)
    with pytest.raises(MemoryError, match="smaller image_size"):
        devices.largest_batch_size_that_fits(never_fits, start=32, minimum=8)
