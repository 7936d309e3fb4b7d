import time
import warnings

import numpy as np
import pytest

from tltutor import data
from tltutor.data import idx, pipelines, splits
from tltutor.errors import DatasetError, DownloadError, InvalidArgumentError, UnknownNameError


def test_embedded_dataset_is_real_fashion_mnist_and_balanced():
    source = data.sources.embedded_fashion_mnist()
    assert source.x_pool.shape == (5000, 28, 28) and source.x_test.shape == (1000, 28, 28)
    assert np.bincount(source.y_pool).tolist() == [500] * 10
    assert source.class_names[0] == "T-shirt/top" and source.class_names[9] == "Ankle boot"
    assert source.x_pool.std() > 50  # real images, not blanks


def test_load_dataset_gives_rgb_resized_batches(tiny_data):
    train, validation, test, info = tiny_data
    images, labels = pipelines.to_numpy(train)
    assert images.shape == (160, 64, 64, 3) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 255 and images.max() > 200
    np.testing.assert_array_equal(images[..., 0], images[..., 2])  # grey repeated to RGB
    assert info.train_count == 160 and info.validation_count == 30 and info.test_count == 100
    assert np.bincount(labels).tolist() == [16] * 10


def test_splits_are_stratified_and_disjoint():
    labels = np.repeat(np.arange(5), 40)
    train, validation, test = splits.stratified_split(labels, 5, samples_per_class=20, validation_split=0.25,
                                                      test_per_class=10, seed=3)
    assert not (set(train) & set(validation) or set(train) & set(test) or set(validation) & set(test))
    assert np.bincount(labels[train]).tolist() == [20] * 5
    assert np.bincount(labels[validation]).tolist() == [5] * 5
    assert np.bincount(labels[test]).tolist() == [10] * 5


def test_same_seed_same_split_other_seed_other_split():
    labels = np.repeat(np.arange(3), 30)
    first = splits.stratified_split(labels, 3, samples_per_class=10, seed=1)
    again = splits.stratified_split(labels, 3, samples_per_class=10, seed=1)
    other = splits.stratified_split(labels, 3, samples_per_class=10, seed=2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_samples_per_class_larger_than_the_data_is_explained():
    with pytest.raises(DatasetError, match="Lower samples_per_class"):
        data.load_dataset("digits", samples_per_class=1000, image_size=32)


def test_unknown_dataset_suggests_names():
    with pytest.raises(UnknownNameError, match="Did you mean 'fashion_mnist'"):
        data.load_dataset("fashon_mnist")


def test_tfds_offline_fails_within_seconds():
    started = time.perf_counter()
    with pytest.raises(DownloadError, match="tf_flowers"):
        data.load_dataset("tf_flowers", image_size=64)
    assert time.perf_counter() - started < 20


def test_digits_hold_out_a_stratified_test_split():
    train, validation, test, info = data.load_dataset("digits", image_size=32, samples_per_class=50)
    _, test_labels = pipelines.to_numpy(test)
    assert info.num_classes == 10 and len(set(test_labels.tolist())) == 10


def _write_images(folder, names, size=12):
    from PIL import Image

    folder.mkdir(parents=True)
    for index, name in enumerate(names):
        Image.fromarray(np.full((size, size, 3), index * 20, dtype=np.uint8)).save(folder / name)


def test_image_folder_skips_corrupt_files_with_a_warning(tmp_path):
    _write_images(tmp_path / "cats", [f"{i}.png" for i in range(6)])
    _write_images(tmp_path / "dogs", [f"{i}.png" for i in range(6)])
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match="broken.jpg"):
        train, validation, test, info = data.load_dataset(f"folder:{tmp_path}", image_size=16, samples_per_class=3,
                                                          validation_split=0.25)
    assert info.class_names == ("cats", "dogs")
    images, _ = pipelines.to_numpy(train)
    assert images.shape == (6, 16, 16, 3)


def test_folder_without_class_subfolders_is_explained(tmp_path):
    _write_images(tmp_path / "only", ["a.png"])
    with pytest.raises(DatasetError, match="at least 2"):
        data.load_dataset(f"folder:{tmp_path}")


def test_folder_with_no_readable_images(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text("hi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetError, match="no readable images"):
            data.load_dataset(f"folder:{tmp_path}")


def test_corrupt_idx_file(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + (10).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\x00" * 100)
    with pytest.raises(DatasetError, match="truncated"):
        idx.read_idx(path)


@pytest.mark.parametrize("arguments", [dict(image_size=0), dict(batch_size=-1), dict(validation_split=1.5),
                                       dict(samples_per_class=2.5), dict(image_size="96")])
def test_bad_arguments_are_refused_before_loading(arguments):
    with pytest.raises(InvalidArgumentError):
        data.load_dataset(**arguments)


def test_text_and_audio_data_are_reachable_from_the_package_without_an_explicit_import():
    import subprocess
    import sys

    script = "import tltutor as tl; print(tl.data.audio.SAMPLE_RATE, len(tl.data.text.DOMAINS))"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.split() == ["16000", "4"]


def test_tf_data_pipelines_run_without_autotuning_and_keep_their_order():
    images = np.arange(12 * 8 * 8, dtype=np.uint8).reshape(12, 8, 8)
    labels = np.arange(12) % 3
    images_pipeline = pipelines.make_pipeline(images, labels, image_size=16, batch_size=5, shuffle=False, kind="tf.data")
    features_pipeline = pipelines.array_pipeline(np.eye(12, dtype=np.float32), labels, batch_size=5, shuffle=False)
    for pipeline in (images_pipeline, features_pipeline):
        assert pipeline.options().autotune.enabled is False
        _, seen_labels = pipelines.to_numpy(pipeline)
        np.testing.assert_array_equal(seen_labels, labels)


def test_fit_arguments_feed_arrays_through_a_pipeline_without_autotuning_and_with_a_fixed_order():
    import keras

    features = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    labels = {"first": np.arange(40) % 4, "second": np.arange(40) % 2}  # several outputs, as in notebook 10
    arguments = pipelines.fit_arguments(features, labels, batch_size=8, shuffle=True, seed=3)
    assert set(arguments) == {"x", "shuffle"} and arguments["shuffle"] is False  # the pipeline shuffles
    assert arguments["x"].options().autotune.enabled is False
    orders = [np.concatenate([batch["first"] for _, batch in pipelines.fit_arguments(
        features, labels, batch_size=8, shuffle=True, seed=3)["x"]]) for _ in range(2)]
    np.testing.assert_array_equal(orders[0], orders[1])
    assert sorted(orders[0].tolist()) == sorted(labels["first"].tolist())
    assert not np.array_equal(orders[0], labels["first"])
    two_inputs = pipelines.fit_arguments([features, features[:, :2]], np.arange(40), batch_size=40, shuffle=True, seed=3)
    (first_input, second_input), order = next(iter(two_inputs["x"]))
    np.testing.assert_array_equal(first_input.numpy()[:, :2], second_input.numpy())  # rows stay together
    assert sorted(order.numpy().tolist()) == list(range(40))
    assert np.mean(np.abs(np.diff(order.numpy()))) > 5, "several inputs are shuffled as widely as one"
    inputs = keras.Input((6,))
    model = keras.Model(inputs, {"first": keras.layers.Dense(4, name="first")(inputs),
                                 "second": keras.layers.Dense(2, name="second")(inputs)})
    model.compile("adam", loss={"first": "sparse_categorical_crossentropy", "second": "sparse_categorical_crossentropy"})
    history = model.fit(**arguments, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


# --- the real-photo target: Debian's tuxpaint-stamps-default -----------------------------------------------------

def _photos_installed():
    from tltutor.runtime import system_packages

    return system_packages.get("tuxpaint-stamps-default").installed()


needs_photos = pytest.mark.skipif(not _photos_installed(),
                                  reason="Debian's tuxpaint-stamps-default is not installed (make test installs it as root)")


@needs_photos
def test_photos_load_through_the_manifest_and_test_on_every_other_image():
    from tltutor.data import sources

    source = sources.tuxpaint_photos()
    assert source.class_names == ("mammal", "bird", "fruit", "vegetable", "flower")
    assert np.bincount(source.y_pool).tolist() == [61, 35, 26, 18, 25]
    assert source.x_pool.shape == (165, 224, 224, 3) and source.x_pool.dtype == np.uint8
    assert source.x_pool[:, 0, 0].min() == 255, "composited on white: the corners are white"
    assert "GPL-2" in source.description
    train, validation, test, info = data.load_dataset("tuxpaint_photos", image_size=64, samples_per_class=10,
                                                      pipeline="arrays", seed=3)
    assert len(train[1]) == 50 and len(validation[1]) == 10 and info.test_count == 105 == len(test[1])
    assert np.bincount(test[1]).tolist() == [61 - 12, 35 - 12, 26 - 12, 18 - 12, 25 - 12]
    every = np.concatenate([train[0], validation[0], test[0]]).reshape(165, -1)
    assert len(np.unique(every, axis=0)) == 165, "train, validation and test are disjoint"


def test_photos_without_the_package_say_how_to_install_it_within_a_second(monkeypatch, tmp_path):
    from tltutor.data import sources
    from tltutor.runtime import system_packages

    monkeypatch.setenv("TLTUTOR_TUXPAINT_STAMPS", str(tmp_path / "absent"))
    assert not system_packages.get("tuxpaint-stamps-default").installed()
    started = time.perf_counter()
    with pytest.raises(DatasetError) as caught:
        sources.tuxpaint_photos()
    assert time.perf_counter() - started < 1
    assert "apt-get install -y tuxpaint-stamps-default" in str(caught.value)
    assert "!apt-get install -y tuxpaint-stamps-default" in str(caught.value)  # the Colab form


@needs_photos
def test_photos_that_differ_from_the_manifest_are_left_out_and_too_few_refused(tmp_path):
    from tltutor.data import sources

    rows = [line.split("\t") for line in
            (sources.resources.files("tltutor") / "assets" / sources.PHOTO_MANIFEST).read_text().splitlines()[1:]]
    for relative, _, _ in rows[:150]:  # only the first 150 photographs, one of them changed
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(sources.TUXPAINT_STAMPS / relative)
    changed = tmp_path / rows[0][0]
    changed.unlink()
    changed.write_bytes(b"not the photograph")
    with pytest.warns(UserWarning, match="16 of 165 photographs"), pytest.raises(DatasetError, match="per class"):
        sources.tuxpaint_photos(tmp_path)


def test_an_unpacked_deb_is_found_without_root(monkeypatch, tmp_path):
    """``dpkg -x package.deb ~/debs`` puts the stamps under ~/debs/usr/share/...: the variable may name ~/debs."""
    from tltutor.data import sources
    from tltutor.runtime import system_packages

    stamps = tmp_path / "debs" / "usr" / "share" / "tuxpaint" / "stamps"
    stamps.mkdir(parents=True)
    monkeypatch.setenv("TLTUTOR_TUXPAINT_STAMPS", str(tmp_path / "debs"))
    package = system_packages.get("tuxpaint-stamps-default")
    assert package.installed() and package.location() == stamps
    assert sources._photo_folder(tmp_path / "debs") == stamps  # an explicit folder too
    monkeypatch.setenv("TLTUTOR_TUXPAINT_STAMPS", str(stamps))  # or the stamps folder itself
    assert package.location() == stamps
    with pytest.raises(DatasetError, match="per class"), pytest.warns(UserWarning, match="165 of 165"):
        sources.tuxpaint_photos()  # an empty folder is refused with the fix, not read as a dataset


def test_textures_train_on_each_photographs_left_half_and_test_on_its_right_half():
    from tltutor.data import sources

    source = sources.textures()
    classes = len(sources.TEXTURES)
    assert source.x_pool.shape == (classes * sources.TEXTURE_POOL_PER_CLASS, 128, 128)
    assert source.x_test.shape == (classes * sources.TEXTURE_TEST_PER_CLASS, 128, 128)
    assert np.bincount(source.y_pool).tolist() == [sources.TEXTURE_POOL_PER_CLASS] * classes
    # every crop grey with one mean and contrast (less where the brightest stars clip at 255), so that
    # brightness alone tells no class apart
    for crops in (source.x_pool, source.x_test):
        means, deviations = crops.reshape(len(crops), -1).mean(1), crops.reshape(len(crops), -1).std(1)
        assert np.all(np.abs(means - sources.TEXTURE_MEAN) < 3)
        assert np.all((deviations > 20) & (deviations < sources.TEXTURE_CONTRAST + 0.5))
    np.testing.assert_array_equal(sources.textures().x_test, source.x_test)  # the same crops every time


def test_texture_crops_never_cross_into_the_other_half():
    from tltutor.data import sources

    image = np.zeros((240, 480, 3), np.uint8)
    image[::4, :240] = 200  # the left half: horizontal stripes, so every row of a left crop is constant
    image[:, 240::4] = 200  # the right half: vertical stripes, so every column of a right crop is constant
    rng = np.random.default_rng(1)
    left, right = (sources._texture_crops(image, half, 40, rng).astype(float) for half in (0, 1))
    assert left.std() > 30 and right.std() > 30  # striped, normalised crops
    assert left.std(axis=2).max() < 1, "a training crop took pixels from the test half"
    assert right.std(axis=1).max() < 1, "a test crop took pixels from the training half"
