"""The README's lesson table, made from the stored results of the lessons' full runs.

    python tools/lesson_table.py            # print the table
    python tools/lesson_table.py --write    # replace it in README.md (between the lesson-table markers)

Each row's headline is computed from notebooks/results/<notebook>.json, so the README cannot drift
from the measurements; tests/test_readme.py checks that the committed table is the one made here.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tltutor.report.results import Comparison  # noqa: E402

START, END = "<!-- lesson-table:start -->", "<!-- lesson-table:end -->"


def _c(results, key, **where):
    found = Comparison.from_dict(results["values"][key])
    return found.where(**where) if where else found


def _s(results, key, variant, metric="test_accuracy", **where):
    return str(_c(results, key, **where).spread(variant, metric))


def _gain(results, target, size):
    from tltutor.lessons import selection  # the lesson's own reading of its map

    rows = selection.map_gains(_c(results, "map"), "pixels")
    return next(row["gain"] for row in rows if row["target"] == target and row["samples_per_class"] == size)


def _gains(results):
    from tltutor.lessons import experiments  # the lesson's own reading of its gains

    return experiments.fine_tuning_gains(_c(results, "gains"))


HEADLINES = {
    "00_quickstart": ("the four steps on real photographs; transfer against raw pixels and a CNN from scratch",
                      lambda r: f"10 photos per class: feature extraction {_s(r, 'strategies', 'feature_extraction')}, "
                                f"scratch CNN {_s(r, 'strategies', 'scratch')}, raw pixels {_s(r, 'strategies', 'pixels')}"),
    "01_choose_a_pretrained_model": ("linear probes of Lite0/1/2, a narrow source, random weights and pixels; "
                                     "the narrow source on its own domain; a map of when transfer pays; "
                                     "LogME against the probes",
                                     lambda r: f"photos: Lite0 probe {_s(r, 'probes', 'EfficientNetLite0 (imagenet)', 'probe_test_accuracy')}, "
                                               f"pixels {_s(r, 'probes', 'raw pixels (logistic regression)', 'probe_test_accuracy')}; "
                                               f"gain over pixels at 5 per class: photos {_gain(r, 'tuxpaint_photos', 5):+.3f}, "
                                               f"digits {_gain(r, 'digits', 5):+.3f}"),
    "02_freeze_and_new_head": ("what freezing means in Keras 3; the compile and BatchNorm pitfalls; cached features; "
                               "tl.check",
                               lambda r: f"same accuracy ({_s(r, 'head', 'cached features')} vs "
                                         f"{_s(r, 'head', 'images')}); head training "
                                         f"{_c(r, 'head').spread('images', 'seconds').mean / _c(r, 'head').spread('cached features', 'seconds').mean:.1f}x faster"),
    "03_lower_learning_rate": ("a fine-tuning rate sweep chosen on validation; the LR range test",
                               lambda r: f"1e-2 → {_s(r, 'sweep', '1e-02')} (chance); chosen {r['values']['chosen_rate']} → "
                                         f"{_s(r, 'sweep', r['values']['chosen_rate'])} vs head alone {_s(r, 'sweep', 'head only')}"),
    "04_gradual_unfreezing": ("all at once, gradual unfreezing and layer-wise rates at one budget, against the head "
                              "continued and an equal mean rate",
                              lambda r: f"head continued {_s(r, 'schedules', 'head continued')}, all at once "
                                        f"{_s(r, 'schedules', 'all at once')}, layer-wise "
                                        f"{_s(r, 'schedules', 'discriminative')}, gradual {_s(r, 'schedules', 'gradual')}"),
    "05_monitor_validation": ("learning curves, early stopping, the overfitting gap, per-class recall, top losses; "
                              "a converged baseline; calibration and temperature scaling",
                              lambda r: f"feature extraction {_s(r, 'baselines', 'feature_extraction')}, scratch CNN "
                                        f"{_s(r, 'baselines', 'scratch')}, pixels {_s(r, 'baselines', 'pixels')}; "
                                        f"fine-tuned ECE {_s(r, 'calibration', 'fine-tuning', 'test_ece')} → "
                                        f"{_s(r, 'calibration', 'fine-tuning + temperature', 'test_ece')} with a temperature"),
    "06_feature_extraction_vs_fine_tuning": ("fine-tuning against the head continued for the same steps, near and far "
                                             "from ImageNet at matched sizes, and along a data-size axis",
                                             lambda r: "gain of fine-tuning over its control: " + ", ".join(
                                                 f"{row['target'].split('_')[0]} {row['samples_per_class']}/class "
                                                 f"{row['gain']:+.3f}" for row in _gains(r))),
    "07_small_data_and_overfitting": ("a million weights against 50 photos: fewer weights, augmentation, dropout, "
                                      "weight decay, L2-SP, early stopping, each for the same 100 steps",
                                      lambda r: f"head {_s(r, 'remedies', 'head')}, no remedy {_s(r, 'remedies', 'none')} "
                                                f"(test loss {_s(r, 'remedies', 'head', 'test_loss')} → "
                                                f"{_s(r, 'remedies', 'none', 'test_loss')}); dropout "
                                                f"{_s(r, 'remedies', 'dropout')}, the one measurable remedy"),
    "08_negative_transfer_and_domain_shift": ("negative transfer tested as defined; five shifts, against pixels read as "
                                              "the network reads them; AdaBN, its assumption and its control",
                                              lambda r: f"inverted images: features "
                                                        f"{_s(r, 'shift', 'frozen ImageNet features', 'accuracy', shift='inversion')}, "
                                                        f"pixels {_s(r, 'shift', 'raw pixels', 'accuracy', shift='inversion')}"),
    "09_imbalanced_data": ("a long tail, per-class recall, five remedies at equal steps, a balanced control",
                           lambda r: f"balanced accuracy: logit adjustment "
                                     f"{_s(r, 'remedies', 'logit_adjustment', 'balanced_accuracy')}, none "
                                     f"{_s(r, 'remedies', 'none', 'balanced_accuracy')}"),
    "10_catastrophic_forgetting": ("forgetting measured on the old task; a frozen base, lower rate, L2-SP, rehearsal, "
                                   "LwF at equal steps",
                                   lambda r: f"old task after naive fine-tuning {_s(r, 'methods', 'naive', 'old_task_accuracy')}, "
                                             f"with rehearsal {_s(r, 'methods', 'rehearsal', 'old_task_accuracy')}"),
    "11_explainability": ("Grad-CAM at two depths, embeddings, and which layers fine-tuning changes (linear CKA, "
                          "against two fine-tuned runs)",
                          lambda r: f"96 steps of fine-tuning; top-layer CKA with the pretrained network "
                                    f"{_s(r, 'similarity', 'pretrained vs fine-tuned', 'cka', depth=12)}, "
                                    f"between two fine-tuned runs "
                                    f"{_s(r, 'similarity', 'two fine-tuned runs', 'cka', depth=12)}"),
    "12_deployment_size_and_speed": ("size and latency of backbones through Keras and in TFLite; SavedModel "
                                     "reloaded and checked; TFLite quantization",
                                     lambda r: f"TFLite latency: ResNet50 {_s(r, 'sizes', 'ResNet50', 'tflite_latency_ms')} "
                                               f"ms, Lite0 {_s(r, 'sizes', 'EfficientNetLite0', 'tflite_latency_ms')} ms; "
                                               f"int8 {_s(r, 'tflite', 'int8', 'accuracy')} at "
                                               f"{_c(r, 'tflite').spread('int8', 'tflite_mb').mean:.1f} MB vs float32 "
                                               f"{_s(r, 'tflite', 'float32', 'accuracy')} at "
                                               f"{_c(r, 'tflite').spread('float32', 'tflite_mb').mean:.1f} MB"),
    "13_text_transfer": ("TF-IDF against frozen MiniLM with converged heads; fine-tuning, LoRA and the head-only "
                         "control at 256 steps; movies to tweets, Amazon and NYT against in-domain references",
                         lambda r: f"512 per class: head {_s(r, 'adaptation', 'frozen', 'movies_accuracy')}, "
                                   f"fine-tuned {_s(r, 'adaptation', 'fine_tune', 'movies_accuracy')}, LoRA "
                                   f"{_s(r, 'adaptation', 'lora', 'movies_accuracy')}; tweets, MiniLM trained on "
                                   f"movies {_s(r, 'shift', 'frozen', 'tweets_accuracy')}, in-domain "
                                   f"{_s(r, 'shift', 'frozen, in-domain', 'tweets_accuracy')}"),
    "14_speech_transfer": ("a speaker encoder against MFCCs of the same audio, both under converged heads: synthetic "
                           "voices, digits and languages, and the same languages recorded; fine-tuning against its "
                           "control",
                           lambda r: f"languages, synthetic: encoder {_s(r, 'language', 'frozen')}, MFCC "
                                     f"{_s(r, 'language', 'mfcc')}; recorded: encoder "
                                     f"{_s(r, 'recorded', 'frozen')}, MFCC {_s(r, 'recorded', 'mfcc')}"),
    "15_types_of_transfer": ("inductive, transductive (self-training, per-domain standardisation, the in-domain "
                             "reference) and unsupervised (clustering, retrieval)",
                             lambda r: f"low-contrast clothing, no labels: source only "
                                       f"{_s(r, 'clothing', 'source only', 'target_accuracy')}, standardised + "
                                       f"self-training {_s(r, 'clothing', 'standardised + self-training', 'target_accuracy')}, "
                                       f"in-domain labels {_s(r, 'clothing', 'in-domain labels', 'target_accuracy')}"),
    "16_licensing_and_privacy": ("model and data cards; membership inference against frozen and fine-tuned "
                                 "models, stopped early or trained long",
                                 lambda r: f"attack AUC (0.5: no leak): head stopped early "
                                           f"{_s(r, 'membership', 'head, early stopping', 'attack_auc')}, "
                                           f"trained long {_s(r, 'membership', 'head, long', 'attack_auc')}"),
    "17_label_noise": ("0 to 40 % of the training labels flipped, at 50 and 200 per class: confident learning "
                       "estimates the noise, finds the flipped labels, and cleaning is measured against keeping them",
                       lambda r: f"200 per class, 40 % flipped: every noisy label "
                                 f"{_s(r, 'noise', 'feature_extraction', noise_rate=0.4, samples_per_class=200)}, "
                                 f"flags removed {_s(r, 'noise', 'cleaned', noise_rate=0.4, samples_per_class=200)}, "
                                 f"oracle {_s(r, 'noise', 'oracle', noise_rate=0.4, samples_per_class=200)}"),
    "18_simulation_to_reality": ("rendered digits to real handwriting: the reality gap, domain randomisation that "
                                 "brackets reality, factor by factor, and a few real labels on top of the simulator",
                                 lambda r: f"real digits, no real labels: one font "
                                           f"{_s(r, 'simulation', 'one_font', real_samples_per_class=0)}, randomised "
                                           f"{_s(r, 'simulation', 'randomised', real_samples_per_class=0)}, without "
                                           f"warping {_s(r, 'simulation', 'without_warp', real_samples_per_class=0)}, "
                                           f"fine-tuned {_s(r, 'simulation', 'fine_tuned', real_samples_per_class=0)}; "
                                           f"3 real per class: with the simulator "
                                           f"{_s(r, 'simulation', 'simulation_then_real', real_samples_per_class=3)}, pixels "
                                           f"{_s(r, 'simulation', 'real_pixels', real_samples_per_class=3)}"),
    "19_model_capacity": ("EfficientNet-Lite0, Lite1 and Lite2 at their own resolutions: accuracy against "
                          "size and speed",
                          lambda r: f"converged head on frozen features: Lite0 at 224 px "
                                    f"{_s(r, 'capacity', 'Lite0 at 224 px', strategy='head')}, Lite2 at 260 px "
                                    f"{_s(r, 'capacity', 'Lite2 at 260 px', strategy='head')} (not measurably "
                                    f"different, at about half the images per second)"),
    "20_boxes_and_masks": ("from labels to masks and boxes: a frozen ImageNet encoder under a new U-Net decoder, "
                           "against the same architecture with random weights and background subtraction",
                           lambda r: f"mean IoU at 20 scenes: frozen "
                                     f"{_s(r, 'strategies', 'frozen', 'mean_iou', size=20)}, random weights "
                                     f"{_s(r, 'strategies', 'random', 'mean_iou', size=20)}, background subtraction "
                                     f"{_s(r, 'strategies', 'background_subtraction', 'mean_iou', size=20)}; at 200, "
                                     f"fine-tuned {_s(r, 'strategies', 'fine_tune', 'mean_iou', size=200)} against its "
                                     f"control {_s(r, 'strategies', 'head_only', 'mean_iou', size=200)}"),
}


def table() -> str:
    lines = ["| notebook | what it teaches | headline result (mean ± sd over seeds) | full profile, 2 CPU cores |",
             "|---|---|---|---|"]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        teaches, headline = HEADLINES[notebook.stem]
        path = ROOT / "notebooks" / "results" / f"{notebook.stem}.json"
        if path.exists():
            results = json.loads(path.read_text())
            measured, seconds = headline(results), f"{results['lesson_seconds']:.0f} s"
        else:
            measured, seconds = "(no stored full run)", "-"
        lines.append(f"| [`{notebook.stem}`](notebooks/{notebook.name}) | {teaches} | {measured} | {seconds} |")
    return "\n".join(lines)


def main(argv) -> int:
    made = table()
    if "--write" in argv:
        readme = ROOT / "README.md"
        text = readme.read_text()
        start, end = text.index(START) + len(START), text.index(END)
        readme.write_text(text[:start] + "\n" + made + "\n" + text[end:])
    print(made)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
