import time

import keras
import numpy as np
import pytest

from tltutor import backbones, imagenet
from tltutor.backbones import efficientnet_lite
from tltutor.errors import DownloadError, InvalidArgumentError, UnknownNameError


def test_unknown_backbone_lists_closest_names_first():
    with pytest.raises(UnknownNameError) as caught:
        backbones.get("resnet5")
    message = str(caught.value)
    assert "Did you mean 'ResNet50'" in message
    assert message.index("ResNet50") < message.index("VGG16")
    assert isinstance(caught.value, ValueError)


def test_names_are_case_insensitive_and_offline_default_first():
    assert backbones.get("mobilenetv2").name == "MobileNetV2"
    assert backbones.names()[0] == "EfficientNetLite0" and backbones.get("EfficientNetLite0").offline


def test_image_size_below_minimum_is_refused():
    with pytest.raises(InvalidArgumentError, match="minimum of 71"):
        backbones.build_base("Xception", image_size=64, weights=None)


def test_registry_covers_the_required_keras_applications_and_their_unfreeze_points_exist():
    required = {"MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "EfficientNetB0", "EfficientNetB1",
                "EfficientNetB2", "EfficientNetB3", "EfficientNetV2B0", "ResNet50", "ResNet50V2", "Xception",
                "DenseNet121", "ConvNeXtTiny", "VGG16"}
    assert required <= set(backbones.names())
    for name in required:
        spec = backbones.get(name)
        base = backbones.build_base(name, image_size=max(spec.min_image_size, 64), weights=None)
        layer_names = [layer.name for layer in base.layers]
        for point in spec.unfreeze_points:
            assert any(layer.startswith(point) for layer in layer_names), (name, point)
        assert abs(base.count_params() / 1e6 - spec.parameters_millions) < 0.05, name
        keras.backend.clear_session()


def _top1(classifier, image):
    return imagenet.decode_top_k(classifier.predict(imagenet.resize_array(image, 224)[None], verbose=0), 1)[0][0]


def test_offline_efficientnet_lite0_classifies_real_photos(photos, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    classifier = backbones.build_imagenet_classifier("EfficientNetLite0")
    cat, cat_probability = _top1(classifier, photos["chelsea"])
    coffee, coffee_probability = _top1(classifier, photos["coffee"])
    assert cat == "Egyptian cat" and cat_probability > 0.6
    assert coffee == "espresso" and coffee_probability > 0.8
    assert efficientnet_lite.cache_path().exists(), "converted weights are cached under KERAS_HOME"


@pytest.mark.parametrize("name", ["EfficientNetLite1", "EfficientNetLite2"])
def test_offline_efficientnet_lite1_and_lite2_classify_real_photos(name, photos, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    spec = backbones.get(name)
    classifier = backbones.build_imagenet_classifier(name)
    top = {key: imagenet.decode_top_k(classifier.predict(imagenet.resize_array(image, spec.default_image_size)[None],
                                                         verbose=0), 1)[0][0]
           for key, image in photos.items()}
    assert top["chelsea"][0] == "Egyptian cat" and top["chelsea"][1] > 0.5
    assert top["coffee"][0] == "espresso" and top["coffee"][1] > 0.5
    base = backbones.build_base(name, weights=None)
    assert abs(base.count_params() / 1e6 - spec.parameters_millions) < 0.01
    layer_names = [layer.name for layer in base.layers]
    for point in spec.unfreeze_points:
        assert any(layer.startswith(point) for layer in layer_names), point
    variant = name.removeprefix("EfficientNet").lower()
    assert efficientnet_lite.cache_path(variant).exists()
    assert [len(efficientnet_lite.block_settings(key)) for key in ("lite0", "lite1", "lite2")] == [16, 21, 21]
    assert efficientnet_lite.stage_starts(variant)[-4:] == [7, 11, 15, 20]


def test_a_lite_weights_file_of_another_size_is_refused(tmp_path):
    from tltutor.errors import WeightsError
    from tltutor.io import torch_reader

    state = torch_reader.read_state_dict(efficientnet_lite.package_weights_path("lite2"))
    model = efficientnet_lite.build_architecture(include_top=True, variant_name="lite1")
    with pytest.raises(WeightsError, match="another architecture"):
        efficientnet_lite.convert_state_dict(model, state, "lite1")


def test_cached_weights_are_reused_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    first = efficientnet_lite.build((64, 64, 3), weights="imagenet")
    cache = efficientnet_lite.cache_path()
    calls = []
    original = efficientnet_lite.torch_reader.read_state_dict
    monkeypatch.setattr(efficientnet_lite.torch_reader, "read_state_dict",
                        lambda path: calls.append(path) or original(path))
    second = efficientnet_lite.build((64, 64, 3), weights="imagenet")
    assert calls == []
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    cache.write_bytes(b"damaged")
    third = efficientnet_lite.build((64, 64, 3), weights="imagenet")
    assert len(calls) == 1
    np.testing.assert_array_equal(first.get_weights()[0], third.get_weights()[0])


def test_random_weights_differ_from_pretrained():
    pretrained = efficientnet_lite.build((64, 64, 3), weights="imagenet")
    random = efficientnet_lite.build((64, 64, 3), weights=None)
    assert not np.allclose(pretrained.get_layer("stem_conv").get_weights()[0],
                           random.get_layer("stem_conv").get_weights()[0])


def test_keras_imagenet_download_fails_fast_offline_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    started = time.perf_counter()
    with pytest.raises(DownloadError) as caught:
        backbones.build_base("MobileNetV2", image_size=96, weights="imagenet")
    assert time.perf_counter() - started < 20
    message = str(caught.value)
    assert "MobileNetV2 ImageNet weights" in message and "EfficientNetLite0" in message
    assert "https://" in message
    leftovers = [path for path in (tmp_path / "models").rglob("*") if path.is_file()] if (tmp_path / "models").exists() else []
    assert leftovers == []


def test_missing_weights_path_is_refused():
    with pytest.raises(InvalidArgumentError, match="neither 'imagenet'"):
        backbones.build_base("MobileNetV2", image_size=96, weights="/no/such/file.weights.h5")
