"""Verdicts over seeds: "A beats B by x ± y", or "no measurable difference".

One run is one draw. Training on another random subset, from another initialisation, gives
another number, and on a small test set the spread between draws is often as large as the
effects a lesson wants to show. A claim therefore compares several seeds (at least three): the
mean and spread of each side, and the difference seed by seed (the seeds pair the runs: same
data subset, same start).

:func:`compare` pairs the runs seed by seed (the same split and start for both variants) and takes
the mean of the differences with its 95 % interval (Student's t with n − 1 degrees of freedom). A
difference is measurable when that interval excludes 0. Otherwise the verdict is "no measurable
difference", which is a result too, and it says what the run rules out: differences larger than
the interval's farthest bound. Spreads of the two sides may overlap while the paired differences
do not: a gain that every seed shows is measurable even when seeds differ from each other more
than the variants do.

Examples:
    >>> verdict = compare([0.82, 0.84, 0.83], [0.78, 0.79, 0.77], "fine-tuning", "feature extraction",
    ...                   metric="test accuracy")
    >>> verdict.measurable, verdict.winner
    (True, 'fine-tuning')
    >>> print(verdict)
    fine-tuning beats feature extraction by 0.050 ± 0.010 test accuracy (paired over 3 seeds; 95% interval 0.025 to 0.075)
    >>> print(compare([0.80, 0.83, 0.79], [0.81, 0.80, 0.80], "A", "B", metric="test accuracy"))
    no measurable difference in test accuracy between A (0.807 ± 0.021) and B (0.803 ± 0.006) over 3 seeds (95% interval of A − B: -0.054 to 0.061; rules out differences larger than 0.061)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from tltutor import validation

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation and count of one measured quantity over seeds."""

    mean: float
    std: float
    count: int
    whole: bool = False  # every value an integer (steps, parameters), not a share that happens to be round

    def __str__(self):
        if self.std == 0 and (self.whole or (float(self.mean).is_integer() and abs(self.mean) > 1)):
            return f"{int(self.mean):,}"  # a count, such as parameters or steps, that no seed changes
        if abs(self.mean) >= 100:
            return f"{self.mean:,.0f} ± {self.std:,.0f}" if self.count > 1 else f"{self.mean:,.0f}"
        return f"{self.mean:.3f} ± {self.std:.3f}" if self.count > 1 else f"{self.mean:.3f}"


def spread(values) -> Spread:
    """The :class:`Spread` of ``values`` (standard deviation 0 for a single value).

    >>> str(spread([0.8, 0.82, 0.84]))
    '0.820 ± 0.020'
    >>> str(spread([24_570, 24_570, 24_570]))
    '24,570'
    """
    values = list(values)
    array = np.asarray(values, dtype=float)
    validation.check_not_empty(array.size, "list of measured values")
    if not np.all(np.isfinite(array)):
        raise validation.InvalidArgumentError(f"measured values must be finite numbers, got {array.tolist()}")
    std = float(np.std(array, ddof=1)) if array.size > 1 else 0.0
    whole = all(isinstance(value, (int, np.integer)) and not isinstance(value, bool) for value in values)
    return Spread(float(np.mean(array)), std, int(array.size), whole)


@dataclass(frozen=True)
class Verdict:
    """The comparison of two variants over the same seeds."""

    first: str
    second: str
    metric: str
    first_spread: Spread
    second_spread: Spread
    difference: float             # mean of (first - second), seed by seed
    difference_std: float
    interval: tuple[float, float]  # 95 % interval of the mean difference
    p_value: float
    measurable: bool
    higher_is_better: bool = True

    @property
    def rules_out(self) -> float:
        """The difference this run rules out: any larger than the 95 % interval's farthest bound."""
        return float(max(abs(self.interval[0]), abs(self.interval[1])))

    @property
    def winner(self) -> str | None:
        """The better variant when the difference is measurable, else ``None``."""
        if not self.measurable:
            return None
        first_better = (self.difference > 0) == self.higher_is_better
        return self.first if first_better else self.second

    def __str__(self):
        count = self.first_spread.count
        if not self.measurable:
            text = (f"no measurable difference in {self.metric} between {self.first} ({self.first_spread}) and "
                    f"{self.second} ({self.second_spread}) over {count} seed{'s' if count != 1 else ''}")
            if count < 2:
                return text + " (one seed cannot tell a difference from noise)"
            return (text + f" (95% interval of {self.first} − {self.second}: {self.interval[0]:.3f} to "
                    f"{self.interval[1]:.3f}; rules out differences larger than {self.rules_out:.3f})")
        loser = self.second if self.winner == self.first else self.first
        low, high = sorted(abs(bound) for bound in self.interval)
        amount = f"{abs(self.difference):.3f} ± {self.difference_std:.3f}"
        where = f"(paired over {count} seeds; 95% interval {low:.3f} to {high:.3f})"
        if self.higher_is_better:
            return f"{self.winner} beats {loser} by {amount} {self.metric} {where}"
        article = "an" if self.metric[:1].lower() in "aeio" else "a"
        return f"{self.winner} has {article} {self.metric} lower than {loser} by {amount} {where}"


def compare(first_values, second_values, first: str = "A", second: str = "B", *, metric: str = "accuracy",
            higher_is_better: bool = True, confidence: float = CONFIDENCE) -> Verdict:
    """Compare two variants measured on the same seeds (``first_values[i]`` pairs with ``second_values[i]``)."""
    first_array = np.asarray(list(first_values), dtype=float)
    second_array = np.asarray(list(second_values), dtype=float)
    if first_array.shape != second_array.shape:
        raise validation.InvalidArgumentError(
            f"paired values need the same seeds: {first_array.size} values for {first}, {second_array.size} for {second}")
    first_spread, second_spread = spread(first_array), spread(second_array)
    differences = first_array - second_array
    difference = float(np.mean(differences))
    count = differences.size
    if count < 2:
        return Verdict(first, second, metric, first_spread, second_spread, difference, 0.0, (difference, difference),
                       float("nan"), False, higher_is_better)
    difference_std = float(np.std(differences, ddof=1))
    half_width = stats.t.ppf(0.5 + confidence / 2, count - 1) * difference_std / math.sqrt(count)
    interval = (difference - half_width, difference + half_width)
    if difference_std > 0:
        p_value = float(2 * stats.t.sf(abs(difference) / (difference_std / math.sqrt(count)), count - 1))
    else:
        p_value = 0.0 if difference != 0 else 1.0
    excludes_zero = interval[0] > 0 or interval[1] < 0
    return Verdict(first, second, metric, first_spread, second_spread, difference, difference_std, interval,
                   p_value, bool(excludes_zero), higher_is_better)
