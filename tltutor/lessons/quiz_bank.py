"""The questions of each lesson's quiz (:mod:`tltutor.lessons.quiz`), keyed by notebook name.

They live as data in ``tltutor/assets/quizzes.json``: for each question its ``text``, its
``options``, the ``answer`` (the letter of the right option as written) and ``why``, the reason
shown once a student answers correctly, which restates what the lesson measured or explained.
``tests/test_exercises.py`` checks the file's schema.
"""

from __future__ import annotations

import json
from pathlib import Path

QUIZZES_PATH = Path(__file__).parents[1] / "assets" / "quizzes.json"
QUESTIONS: dict[str, list[dict]] = json.loads(QUIZZES_PATH.read_text(encoding="utf-8"))
