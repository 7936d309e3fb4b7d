from tltutor.lessons import exercises


def test_head_parameters_check_accepts_the_right_answer_only(capsys):
    assert exercises.check_head_parameters(12_810, num_classes=10)
    assert "Correct" in capsys.readouterr().out
    assert not exercises.check_head_parameters(12_800, num_classes=10)
    assert "Hint" in capsys.readouterr().out
    assert not exercises.check_head_parameters("lots", num_classes=10)
    assert exercises.check_head_parameters(2 * 1280 + 2, num_classes=2)


def test_learning_curve_check_reads_the_named_strategy(capsys):
    rows = [
        {"samples_per_class": 5, "strategy": "scratch", "test_accuracy": 0.1},
        {"samples_per_class": 5, "strategy": "feature_extraction", "gain_over_scratch": 0.55},
        {"samples_per_class": 5, "strategy": "fine_tuning", "gain_over_scratch": 0.50},
        {"samples_per_class": 400, "strategy": "feature_extraction", "gain_over_scratch": 0.05},
        {"samples_per_class": 400, "strategy": "fine_tuning", "gain_over_scratch": 0.60},
    ]
    assert exercises.check_largest_gain_over_scratch(rows, 5)
    assert "beat scratch by +0.550" in capsys.readouterr().out
    assert not exercises.check_largest_gain_over_scratch(rows, 400)
    assert "Hint" in capsys.readouterr().out
    assert exercises.check_largest_gain_over_scratch(rows, 400, strategy="fine_tuning")


def test_best_single_remedy_check_ignores_none_and_all():
    rows = [{"remedy": "none", "test_accuracy": 0.9}, {"remedy": "dropout", "test_accuracy": 0.6},
            {"remedy": "augmentation", "test_accuracy": 0.7}, {"remedy": "all", "test_accuracy": 0.95}]
    assert exercises.check_best_single_remedy(rows, " Augmentation ")
    assert not exercises.check_best_single_remedy(rows, "all")
    assert not exercises.check_best_single_remedy(rows, "none")
