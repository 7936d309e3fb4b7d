import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TLTUTOR_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def tiny_data():
    """Real embedded Fashion-MNIST: 16 images per class at 64 px."""
    from tltutor import data

    return data.load_dataset(image_size=64, samples_per_class=16, test_samples_per_class=10, seed=0)


@pytest.fixture(scope="session")
def photos():
    from skimage import data as skimage_data

    return {"chelsea": skimage_data.chelsea(), "coffee": skimage_data.coffee()}


def random_images(count, size=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, size, size, 3)).astype("float32")
