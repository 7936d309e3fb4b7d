import keras
import numpy as np

from tltutor import devices, models


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
