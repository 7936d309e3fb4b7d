from tltutor import exercises


def test_head_parameters_check_accepts_the_right_answer_only(capsys):
    assert exercises.check_head_parameters(12_810, num_classes=10)
    assert "Correct" in capsys.readouterr().out
    assert not exercises.check_head_parameters(12_800, num_classes=10)
    assert "Hint" in capsys.readouterr().out
    assert not exercises.check_head_parameters("lots", num_classes=10)
    assert exercises.check_head_parameters(2 * 1280 + 2, num_classes=2)
