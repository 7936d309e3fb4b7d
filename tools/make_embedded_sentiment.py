"""Rebuild tltutor/assets/sentiment_subset.json.gz from the vaderSentiment 3.3.2 source archive.

    python tools/make_embedded_sentiment.py            # downloads the sdist with pip (PyPI only)

The archive's additional_resources/hutto_ICWSM_2014.tar.gz holds sentences from four domains with
the mean sentiment rating of human raters (-4 .. +4); Hutto & Gilbert, ICWSM 2014; MIT licence.
This recipe keeps sentences with a non-zero rating, labels them negative (< 0) or positive (> 0),
and draws a stratified subset with a fixed seed:

- movie-review snippets: a pool of 1,000 per class (to train and validate on) and 500 per class to test;
- tweets, Amazon reviews and NYT editorial sentences: 250 per class each, to test on only.
"""

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tltutor" / "assets" / "sentiment_subset.json.gz"
FILES = {"movies": "movieReviewSnippets_GroundTruth.txt", "tweets": "tweets_GroundTruth.txt",
         "amazon": "amazonReviewSnippets_GroundTruth.txt", "nyt": "nytEditorialSnippets_GroundTruth.txt"}
COUNTS = {"movies": {"pool": 1000, "test": 500}, "tweets": {"test": 250}, "amazon": {"test": 250},
          "nyt": {"test": 250}}
CITATION = ("Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment Analysis of "
            "Social Media Text. Eighth International Conference on Weblogs and Social Media (ICWSM-14).")


def read_rows(text: str) -> list[tuple[str, float]]:
    rows = []
    for line in text.replace("\r\n", "\n").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].strip():
            rating = float(parts[1])
            sentence = "\t".join(parts[2:]).strip()
            if rating != 0 and sentence:
                rows.append((sentence, round(rating, 3)))
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q", "-d",
                        folder, "vadersentiment==3.3.2"], check=True)
        archive = next(Path(folder).glob("*.tar.gz"))
        with tarfile.open(archive) as sdist:
            member = next(name for name in sdist.getnames() if name.endswith("hutto_ICWSM_2014.tar.gz"))
            inner = tarfile.open(fileobj=io.BytesIO(sdist.extractfile(member).read()))
            texts = {domain: inner.extractfile(next(name for name in inner.getnames() if name.endswith(file)))
                     .read().decode("utf-8") for domain, file in FILES.items()}
    rng = np.random.default_rng(2014)
    domains = {}
    for domain, counts in COUNTS.items():
        rows = read_rows(texts[domain])
        by_class = {label: [row for row in rows if (row[1] > 0) == bool(label)] for label in (0, 1)}
        chosen = {label: [by_class[label][index] for index in rng.permutation(len(by_class[label]))]
                  for label in (0, 1)}
        domains[domain] = {}
        start = 0
        for split, count in counts.items():
            domains[domain][split] = [[text, rating] for label in (0, 1)
                                      for text, rating in chosen[label][start:start + count]]
            start += count
    document = {"source": "vaderSentiment 3.3.2 sdist, additional_resources/hutto_ICWSM_2014.tar.gz",
                "licence": "MIT (c) 2016 C.J. Hutto", "citation": CITATION,
                "labels": "negative: mean human rating < 0; positive: > 0 (ratings -4..+4)", "domains": domains}
    raw = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    OUTPUT.write_bytes(gzip.compress(raw, mtime=0))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes), sha256 {hashlib.sha256(OUTPUT.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
