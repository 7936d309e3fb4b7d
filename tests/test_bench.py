from tltutor import bench


def test_benchmark_measures_both_epoch_kinds_in_one_run():
    figures = bench.run(image_size=32, samples_per_class=8, repeats=1)
    assert figures["images_per_epoch"] == 80
    assert figures["frozen_base_epoch_seconds"] > 0 and figures["cached_head_epoch_seconds"] > 0
    ratio = figures["frozen_base_epoch_seconds"] / figures["cached_head_epoch_seconds"]
    assert abs(figures["speedup_per_epoch"] - ratio) <= 0.05 * ratio + 0.1
    assert "CPU" in figures["device"]
