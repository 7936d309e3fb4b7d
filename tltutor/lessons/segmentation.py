"""From labels to masks and boxes: a classification-pretrained base under a new dense head (lesson 20).

The scenes (:func:`tltutor.data.scenes.scenes`) paste one of Tux Paint's cut-out photographs onto a
tinted texture, over two photographed distractors of no class, so every pixel's class and every
object's box are known exactly; the test scenes use stamps that no training scene shows. The
strategies (:data:`STRATEGIES`), each on the same scenes of a seed:

- ``background_subtraction``: the classic pipeline without a network. A pixel whose colour (its
  chromaticity, brightness divided out) differs from the scene border's by more than a threshold is
  object; the largest such region, holes filled, is the object, and its class is the nearest class
  mean of the training objects' colour histograms. The threshold is chosen on validation scenes.
- ``random``: the same model with random weights, frozen (its BatchNorm statistics read from the
  training scenes, so its features are not degenerate), the decoder trained the same way: what the
  pretrained weights bring to the same architecture and budget.
- ``frozen``: the ImageNet base frozen, the new decoder trained on its kept feature maps.
- ``head_only``: the control for fine-tuning: the ``frozen`` decoder trained on for the same steps.
- ``fine_tune``: from the ``frozen`` decoder, the whole base trained too (BatchNorm frozen), at the
  library's fine-tuning rate and schedule.
- ``scratch`` (not run by default): every layer trained from random weights.

Scores on the held-out scenes: the mean IoU over the background and the five classes, the object's
IoU ignoring its class, and for boxes (read from each predicted mask, the box around its largest
object region) the box IoU and the share of scenes whose box overlaps the true one by IoU ≥ 0.5 with
the right class.

``dataset="oxford_iiit_pet"`` runs the same comparison online on the Oxford-IIIT pets (real photographs
with hand-drawn masks; two classes, cat and dog), e.g. on Colab.

Example (needs the Debian package)::

    comparison = tl.lessons.segmentation.compare_segmentation_strategies(sizes=(20,), seeds=(0,))
    print(comparison.summary_table("mean_iou"))
"""

from __future__ import annotations

import time

import numpy as np
from scipy import ndimage

from tltutor import batchnorm, freezing, models, state, training, validation
from tltutor.data import pipelines, scenes as scene_data
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

STRATEGIES = ("background_subtraction", "random", "frozen", "head_only", "fine_tune")
ALL_STRATEGIES = (*STRATEGIES, "scratch")
SIZES = (20, 50, 200)
QUICK_SIZES = (20,)
DATASET = "tuxpaint_scenes"
IMAGE_SIZE = 96
HEAD_STEPS = 200
HEAD_LEARNING_RATE = 3e-3
STEPS = 100
QUICK_STEPS = 50
BATCH_SIZE = 8
STEPS_PER_EPOCH = 25  # an epoch here is 25 batches, however few the scenes
VALIDATION_SCENES = 60
TEST_SCENES = 120
QUICK_TEST_SCENES = 40
BOX_IOU_THRESHOLD = 0.5
HISTOGRAM_BINS = 4  # per channel: 64 colour bins for the baseline's class
THRESHOLDS = tuple(np.round(np.arange(0.02, 0.21, 0.01), 2))


def mean_iou(predicted, masks, num_classes: int) -> float:
    """The mean over the background and ``num_classes`` object classes of each class's intersection over union.

    Pixels of all scenes are pooled per class, as PASCAL VOC scores; a class that is neither present nor
    predicted is left out of the mean.

    Examples:
        >>> import numpy as np
        >>> truth = np.array([[[0, 1], [1, 1]]])
        >>> round(mean_iou(np.array([[[0, 1], [0, 1]]]), truth, num_classes=1), 3)   # (1/2 + 2/3) / 2
        0.583
    """
    predicted, masks = np.asarray(predicted), np.asarray(masks)
    num_classes = validation.check_positive_int(num_classes, "num_classes (object classes, background not counted)")
    validation.check_not_empty(masks.size, "masks")
    if predicted.shape != masks.shape:
        raise validation.InvalidArgumentError(f"predicted masks {predicted.shape} and true masks {masks.shape} differ "
                                              "in shape: give one predicted class id per pixel")
    scores = []
    for label in range(num_classes + 1):
        union = np.count_nonzero((predicted == label) | (masks == label))
        if union:
            scores.append(np.count_nonzero((predicted == label) & (masks == label)) / union)
    return float(np.mean(scores))


def foreground_iou(predicted, masks) -> float:
    """The IoU of object pixels (any class) against the background: where the objects are, whatever they are.

    Where neither mask has an object pixel the two agree perfectly: 1.0.
    """
    predicted, masks = np.asarray(predicted) > 0, np.asarray(masks) > 0
    union = np.count_nonzero(predicted | masks)
    return float(np.count_nonzero(predicted & masks) / union) if union else 1.0


def scene_ious(predicted, masks, num_classes: int) -> np.ndarray:
    """Each scene's own mean IoU (over the classes present in it or predicted in it): to find the best and
    worst predicted scenes."""
    return np.array([mean_iou(guess, truth, num_classes)
                     for guess, truth in zip(np.asarray(predicted), np.asarray(masks))])


def boxes_from_masks(predicted) -> tuple[np.ndarray, np.ndarray]:
    """``(boxes, labels)``: per mask, the box ``x1, y1, x2, y2`` (exclusive) around its largest object region and
    the region's most frequent class (``class id - 1``); ``-1`` and an empty box where nothing was predicted."""
    predicted = np.asarray(predicted)
    boxes = np.zeros((len(predicted), 4), np.float32)
    labels = np.full(len(predicted), -1, np.int32)
    for index, mask in enumerate(predicted):
        regions, count = ndimage.label(mask > 0)
        if not count:
            continue
        largest = 1 + int(np.argmax(np.bincount(regions.ravel())[1:]))
        rows, columns = np.nonzero(regions == largest)
        boxes[index] = (columns.min(), rows.min(), columns.max() + 1, rows.max() + 1)
        labels[index] = int(np.argmax(np.bincount(mask[regions == largest]))) - 1
    return boxes, labels


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(first, second) -> np.ndarray:
    """The IoU of each pair of boxes ``x1, y1, x2, y2`` (rows of ``first`` and ``second``); 0 for an empty box.

    Examples:
        >>> box_iou([[0, 0, 2, 2]], [[1, 0, 3, 2]]).round(3).tolist()
        [0.333]
    """
    first, second = np.asarray(first, np.float64).reshape(-1, 4), np.asarray(second, np.float64).reshape(-1, 4)
    width = np.clip(np.minimum(first[:, 2], second[:, 2]) - np.maximum(first[:, 0], second[:, 0]), 0, None)
    height = np.clip(np.minimum(first[:, 3], second[:, 3]) - np.maximum(first[:, 1], second[:, 1]), 0, None)
    overlap = width * height
    union = _area(first) + _area(second) - overlap
    return np.where(union > 0, overlap / np.where(union > 0, union, 1), 0.0)


def scores(predicted, test: scene_data.Scenes) -> dict[str, float]:
    """Every score of predicted masks on ``test`` scenes (one object each): mask IoUs and box scores."""
    if test.boxes.shape[1] != 1:
        raise validation.InvalidArgumentError(f"the scenes have {test.boxes.shape[1]} objects each: the box scores "
                                              "read one box per mask, so score scenes made with objects=1")
    boxes, labels = boxes_from_masks(predicted)
    overlaps = box_iou(boxes, test.boxes[:, 0])
    hits = (overlaps >= BOX_IOU_THRESHOLD) & (labels == test.labels[:, 0])
    return dict(mean_iou=round(mean_iou(predicted, test.masks, test.num_classes), 4),
                foreground_iou=round(foreground_iou(predicted, test.masks), 4),
                box_iou=round(float(overlaps.mean()), 4), box_accuracy=round(float(hits.mean()), 4))


def _colour_distance(images: np.ndarray) -> np.ndarray:
    """Each pixel's chromaticity distance from the median chromaticity of its scene's border."""
    pixels = images.astype(np.float32) + 1.0
    chroma = pixels / pixels.sum(axis=-1, keepdims=True)
    edges = (chroma[:, :2], chroma[:, -2:], chroma[:, :, :2], chroma[:, :, -2:])
    border = np.concatenate([edge.reshape(len(images), -1, 3) for edge in edges], axis=1)
    return np.linalg.norm(chroma - np.median(border, axis=1)[:, None, None], axis=-1)


def _histogram(pixels: np.ndarray) -> np.ndarray:
    bins = np.clip(pixels.astype(np.int32) * HISTOGRAM_BINS // 256, 0, HISTOGRAM_BINS - 1)
    codes = (bins[:, 0] * HISTOGRAM_BINS + bins[:, 1]) * HISTOGRAM_BINS + bins[:, 2]
    counts = np.bincount(codes, minlength=HISTOGRAM_BINS ** 3).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


class BackgroundSubtraction:
    """The no-network baseline: colour difference from the border, threshold chosen on validation scenes,
    class from the nearest class mean of the training objects' colour histograms.

    Examples:
        >>> import numpy as np
        >>> images = np.full((4, 32, 32, 3), 100, np.uint8)
        >>> masks = np.zeros((4, 32, 32), np.int32)
        >>> images[:, 10:20, 10:20] = (200, 40, 40); masks[:, 10:20, 10:20] = 1      # a red square, class 0
        >>> train = validation = scene_data.Scenes(images, masks, np.zeros((4, 1, 4)), np.zeros((4, 1)), ("red",))
        >>> baseline = BackgroundSubtraction(train, validation)
        >>> round(foreground_iou(baseline.predict(images), masks), 2)     # the opening trims the square's corners
        0.96
    """

    def __init__(self, train: scene_data.Scenes, validation_scenes: scene_data.Scenes):
        self.num_classes = train.num_classes
        histograms = [[] for _ in range(self.num_classes)]
        for image, mask in zip(train.images, train.masks):
            if (mask > 0).any():
                label = int(np.bincount(mask[mask > 0]).argmax()) - 1
                histograms[label].append(_histogram(image[mask > 0]))
        self.class_means = np.stack([np.mean(found, axis=0) if found else np.full(HISTOGRAM_BINS ** 3, np.inf)
                                     for found in histograms])
        distances = _colour_distance(validation_scenes.images)
        self.threshold = max(THRESHOLDS, key=lambda threshold: foreground_iou(
            self._objects(distances, threshold), validation_scenes.masks))

    @staticmethod
    def _objects(distances: np.ndarray, threshold: float) -> np.ndarray:
        found = np.zeros(distances.shape, bool)
        for index, distance in enumerate(distances):
            regions, count = ndimage.label(ndimage.binary_opening(distance > threshold))
            if count:
                largest = 1 + int(np.argmax(np.bincount(regions.ravel())[1:]))
                found[index] = ndimage.binary_fill_holes(regions == largest)
        return found

    def predict(self, images) -> np.ndarray:
        """Predicted masks: 0 for the background, ``class + 1`` on the object region."""
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or (images.size and images.max() <= 1.0):
            raise validation.InvalidArgumentError(
                f"give a stack of RGB images (N, height, width, 3) in 0..255, got shape {images.shape}"
                + (" with values in 0..1: multiply by 255" if images.ndim == 4 and images.size and images.max() <= 1.0
                   else ""))
        objects = self._objects(_colour_distance(images), self.threshold)
        masks = np.zeros(objects.shape, np.int32)
        for index, (image, found) in enumerate(zip(images, objects)):
            if found.any():
                gaps = np.abs(self.class_means - _histogram(image[found])).sum(axis=1)
                masks[index][found] = int(np.argmin(gaps)) + 1
        return masks


def predict_masks(model, images) -> np.ndarray:
    """A segmentation model's predicted class id per pixel (0 for the background)."""
    return np.argmax(models.predict_in_batches(model, np.asarray(images, np.float32), 32), axis=-1).astype(np.int32)


def _pooled_model(weights, num_classes: int, seed: int):
    key = ("segmentation", IMAGE_SIZE, num_classes, weights)
    model = state.pool.get(key, lambda: models.build_segmentation_model(num_classes=num_classes, image_size=IMAGE_SIZE,
                                                                         weights=weights))
    models.reset(model, seed)
    if weights is None:
        models.reinitialize(model.get_layer(models.BASE_NAME), seed + 1)
    return model


def _in_steps(train: scene_data.Scenes, steps: int, batch_size: int, seed: int):
    """``(images, masks)`` repeated and shuffled so that one epoch is exactly ``steps`` batches."""
    order = pipelines.step_budget_order(len(train.images), steps, batch_size, seed)
    return train.images[order].astype(np.float32), train.masks[order]


def _objects_only(made: scene_data.Scenes) -> scene_data.Scenes:
    """The scenes with one class, "object", for every object of any class (masks 0 or 1, labels 0)."""
    return scene_data.Scenes(made.images, (made.masks > 0).astype(np.int32), made.boxes, np.zeros_like(made.labels),
                             ("object",))


def _check_budgets(**budgets) -> None:
    """Each budget a positive multiple of :data:`STEPS_PER_EPOCH` (training runs whole epochs of that many steps)."""
    for name, value in budgets.items():
        value = validation.check_positive_int(value, name)
        if value % STEPS_PER_EPOCH:
            raise validation.InvalidArgumentError(
                f"{name}={value}: budgets run in epochs of {STEPS_PER_EPOCH} steps; give a multiple of "
                f"{STEPS_PER_EPOCH}, e.g. {max(STEPS_PER_EPOCH, value // STEPS_PER_EPOCH * STEPS_PER_EPOCH)}")


def check_sizes(sizes) -> tuple[int, ...]:
    """``sizes`` as a tuple of positive scene counts; a clear error otherwise."""
    if isinstance(sizes, (int, np.integer)):
        sizes = (sizes,)
    return tuple(validation.check_positive_int(size, "a training size (scenes)") for size in sizes)


class _Arms:
    """Trains one strategy's model on one seed's training scenes; the ``frozen`` decoder is kept for the arms
    that start from it."""

    def __init__(self, train, seed, *, head_steps, steps, scratch_steps, batch_size, head_learning_rate):
        self.train, self.seed, self.batch_size = train, seed, batch_size
        self.head_steps, self.steps, self.scratch_steps = head_steps, steps, scratch_steps
        self.head_learning_rate = head_learning_rate
        self.epoch = _in_steps(train, STEPS_PER_EPOCH, batch_size, seed)
        self.decoder = None

    def _budget(self, total: int) -> dict:
        return dict(epochs=total // STEPS_PER_EPOCH, batch_size=self.batch_size, early_stopping_patience=None,
                    progress=False, seed=self.seed)

    def run(self, strategy: str):
        """``(model, steps)`` after training ``strategy``'s model."""
        num_classes = self.train.num_classes
        if strategy == "scratch":
            model = _pooled_model(None, num_classes, self.seed)
            history = training.train_all(model, self.epoch, None, learning_rate=self.head_learning_rate,
                                         **self._budget(self.scratch_steps))
            return model, history.steps
        if strategy == "random":
            model = _pooled_model(None, num_classes, self.seed)
            batchnorm.adapt_batchnorm(model, self.train.images.astype(np.float32),
                                      batch_size=min(len(self.train.images), 32))
            history = training.train_head(model, self.epoch, None, learning_rate=self.head_learning_rate,
                                          **self._budget(self.head_steps))
            return model, history.steps
        model = _pooled_model("imagenet", num_classes, self.seed)
        if self.decoder is None:
            history = training.train_head(model, self.epoch, None, learning_rate=self.head_learning_rate,
                                          **self._budget(self.head_steps))
            self.decoder = ([layer.get_weights() for layer in models.layers_after_base(model)], history.steps)
        else:
            for layer, weights in zip(models.layers_after_base(model), self.decoder[0]):
                layer.set_weights(weights)
        if strategy == "frozen":
            return model, self.decoder[1]
        more = _in_steps(self.train, STEPS_PER_EPOCH, self.batch_size, self.seed + 500)
        if strategy == "head_only":
            history = training.train_head(model, more, None, schedule="warmup_cosine",
                                          learning_rate=training.FINE_TUNE_LEARNING_RATE, **self._budget(self.steps))
        else:
            history = training.fine_tune(model, more, None, **self._budget(self.steps))
        return model, self.decoder[1] + history.steps


def trained_model(strategy: str = "frozen", *, size: int = max(SIZES), seed: int = 0, head_steps: int = HEAD_STEPS,
                  steps: int = STEPS, batch_size: int = BATCH_SIZE, head_learning_rate: float = HEAD_LEARNING_RATE,
                  distractors: int = scene_data.DISTRACTORS, dataset: str = DATASET):
    """``(model, steps)``: one strategy's model trained as :func:`compare_segmentation_strategies` trains it for
    ``size`` scenes of ``seed`` of ``dataset`` (the same scenes and budget), to look at its predictions."""
    strategy = validation.check_name(strategy, [name for name in ALL_STRATEGIES if name != "background_subtraction"],
                                     "trained strategy")
    _check_budgets(head_steps=head_steps, steps=steps)
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    head_learning_rate = validation.check_number(head_learning_rate, "head_learning_rate", low=0, high=1,
                                                 low_inclusive=False)
    drawn = scene_data.draw(dataset, validation.check_positive_int(size, "size"), image_size=IMAGE_SIZE, seed=seed + 1,
                            distractors=distractors)
    arms = _Arms(drawn, seed, head_steps=head_steps, steps=steps, scratch_steps=head_steps + steps,
                 batch_size=batch_size, head_learning_rate=head_learning_rate)
    return arms.run(strategy)


def compare_segmentation_strategies(*, sizes=None, strategies=STRATEGIES, seeds=None, head_steps: int | None = None,
                                    steps: int | None = None, fine_tune_sizes=None, scratch_steps: int | None = None,
                                    batch_size: int = BATCH_SIZE, head_learning_rate: float = HEAD_LEARNING_RATE,
                                    distractors: int = scene_data.DISTRACTORS, objects_only: bool = False,
                                    test_scenes: int | None = None, dataset: str = DATASET, on_trained=None,
                                    progress=True) -> Comparison:
    """Each strategy on the same scenes of each seed and training size, keyed by ``"strategy"``.

    Each seed draws its own training scenes (the first ``size`` of one draw, so a larger set contains
    the smaller) and validation scenes (for the baseline's threshold); every seed is scored on the
    same ``test_scenes`` held-out scenes. The ``frozen`` and ``random`` decoders train ``head_steps``
    optimizer steps at ``head_learning_rate`` on their encoder's kept maps; ``head_only`` and
    ``fine_tune`` run ``steps`` more from the ``frozen`` decoder at the library's fine-tuning rate and
    schedule, at ``fine_tune_sizes`` only (the largest size by default); ``scratch`` (not run by
    default: 0.16 s a step here) trains every layer from random weights for ``scratch_steps``
    (``head_steps + steps`` by default). Budgets are fixed, with no early stopping, in batches of
    ``batch_size``. Every row stores its ``steps`` (cumulative) and ``size``. ``objects_only`` merges
    the classes into one, "object"; ``distractors`` is the clutter per scene. ``dataset`` is one of
    :data:`tltutor.data.scenes.DATASETS`: the offline composites, or the Oxford-IIIT pets online.
    ``on_trained(strategy, size, seed, model, test, predicted)``, if given, is called with each trained
    network, the test scenes and its predicted masks (both read-only), before the next run reuses the
    model: to look at the very model a row scored.
    """
    dataset = validation.check_name(dataset, scene_data.DATASETS, "scene dataset")
    if on_trained is not None and not callable(on_trained):
        raise validation.InvalidArgumentError(f"on_trained={on_trained!r}: give a function of (strategy, size, seed, "
                                              "model, test, predicted), or None")
    strategies = validation.check_choices(strategies, ALL_STRATEGIES, "segmentation strategy")
    quick = profile.is_quick()
    sizes = check_sizes(sizes if sizes is not None else (QUICK_SIZES if quick else SIZES))
    seeds = validation.check_seeds(seeds if seeds is not None else profile.defaults()["seeds"])
    steps = validation.check_positive_int(steps if steps is not None else (QUICK_STEPS if quick else STEPS), "steps")
    head_steps = validation.check_positive_int(head_steps if head_steps is not None else
                                               (QUICK_STEPS if quick else HEAD_STEPS), "head_steps")
    scratch_steps = validation.check_positive_int(scratch_steps if scratch_steps is not None else head_steps + steps,
                                                  "scratch_steps")
    fine_tune_sizes = check_sizes(fine_tune_sizes if fine_tune_sizes is not None else max(sizes))
    if not set(fine_tune_sizes) <= set(sizes):
        raise validation.InvalidArgumentError(f"fine_tune_sizes {list(fine_tune_sizes)} must be among the sizes "
                                              f"{list(sizes)}: fine-tuning starts from that size's frozen decoder")
    _check_budgets(head_steps=head_steps, steps=steps, scratch_steps=scratch_steps)
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    head_learning_rate = validation.check_number(head_learning_rate, "head_learning_rate", low=0, high=1,
                                                 low_inclusive=False)
    test_scenes = validation.check_positive_int(test_scenes if test_scenes is not None else
                                                (QUICK_TEST_SCENES if quick else TEST_SCENES), "test_scenes")
    test = scene_data.draw(dataset, test_scenes, split="test", image_size=IMAGE_SIZE, seed=0, distractors=distractors)
    test = _objects_only(test) if objects_only else test
    for array in (test.images, test.masks, test.boxes, test.labels):
        array.setflags(write=False)  # shared by every run and handed to on_trained
    comparison = Comparison("strategy", settings=dict(
        dataset=dataset, sizes=list(sizes), seeds=seeds, image_size=IMAGE_SIZE, head_steps=head_steps, steps=steps,
        scratch_steps=scratch_steps, fine_tune_sizes=list(fine_tune_sizes), batch_size=batch_size,
        head_learning_rate=head_learning_rate, test_scenes=test_scenes,
        distractors=distractors if dataset != scene_data.tfds_source.PETS else None,
        classes=list(test.class_names)))
    runs = sum(1 for size in sizes for strategy in strategies
               if size in fine_tune_sizes or strategy not in ("head_only", "fine_tune"))
    tracker = Steps(len(seeds) * runs, "segmentation", output=progress)
    for seed in seeds:
        drawn = scene_data.draw(dataset, max(sizes), image_size=IMAGE_SIZE, seed=seed + 1, distractors=distractors)
        validation_scenes = scene_data.draw(dataset, VALIDATION_SCENES, split="validation", image_size=IMAGE_SIZE,
                                            seed=1000 + seed, distractors=distractors)
        validation_scenes = _objects_only(validation_scenes) if objects_only else validation_scenes
        for size in sizes:
            train = scene_data.Scenes(drawn.images[:size], drawn.masks[:size], drawn.boxes[:size], drawn.labels[:size],
                                      drawn.class_names)
            train = _objects_only(train) if objects_only else train
            arms = _Arms(train, seed, head_steps=head_steps, steps=steps, scratch_steps=scratch_steps,
                         batch_size=batch_size, head_learning_rate=head_learning_rate)
            for strategy in strategies:
                if strategy in ("head_only", "fine_tune") and size not in fine_tune_sizes:
                    continue
                started = time.perf_counter()
                if strategy == "background_subtraction":
                    predicted, steps_taken, trainable = BackgroundSubtraction(train, validation_scenes).predict(
                        test.images), 0, 0
                else:
                    model, steps_taken = arms.run(strategy)
                    trainable = freezing.count_parameters(model.trainable_weights)
                    predicted = predict_masks(model, test.images)
                    predicted.setflags(write=False)
                    if on_trained is not None:
                        on_trained(strategy, size, seed, model, test, predicted)
                comparison.add(strategy, seed, size=size, steps=int(steps_taken), trainable_parameters=int(trainable),
                               **scores(predicted, test), seconds=round(time.perf_counter() - started, 1))
                tracker.advance(f"{strategy}, {size} scenes, seed {seed}")
    return comparison
