"""Check functions for the notebooks' exercises: a clear verdict, and a hint when the answer is wrong.

Example:
    >>> from tltutor import exercises
    >>> exercises.check_head_parameters(12_810, num_classes=10)
    Correct: a 1280-feature head for 10 classes has 1280 × 10 weights + 10 biases = 12,810 parameters.
    True
"""

from __future__ import annotations


def _verdict(correct: bool, success: str, hint: str) -> bool:
    print(f"Correct: {success}" if correct else f"Not yet. Hint: {hint}")
    return correct


def check_head_parameters(answer, num_classes: int, feature_size: int = 1280) -> bool:
    """Exercise: how many parameters does a new Dense head on pooled features have?"""
    expected = feature_size * num_classes + num_classes
    try:
        correct = int(answer) == expected and float(answer) == expected
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"a {feature_size}-feature head for {num_classes} classes has {feature_size} × {num_classes} weights "
        f"+ {num_classes} biases = {expected:,} parameters.",
        "a Dense layer has one weight per (input, output) pair plus one bias per output. "
        f"The pooled features have {feature_size} values.",
    )


def check_first_trainable_layer(model, answer: str) -> bool:
    """Exercise: after unfreezing, which base layer is the first one that trains?"""
    from tltutor import freezing

    expected = freezing.trainable_summary(model).first_trainable_base_layer
    return _verdict(
        str(answer) == expected,
        f"{expected} is the first trainable layer of the base.",
        "look at tltutor.freezing.trainable_summary(model); BatchNorm layers never count, they stay frozen.",
    )
