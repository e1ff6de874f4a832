"""The preparation judged by itself on generated camera photos: does the 28x28 image of a
photographed digit match the one its clean scan gives? (Issue 26; tests/photo_fixtures.py.)"""

import io

import pytest
from photo_fixtures import Scene, clean_scan, correlation, photo, sample_digit

from mnistcnn.preprocess import preprocess_image

# The photo's preparation must correlate with its clean scan's by at least this much.
# Two MNIST test digits of different classes correlate at 0.36 (median) and 0.66 (99th
# percentile) even at their best one-pixel alignment (200 digits of the bundled sample),
# so a preparation above 0.8 is nearer its own digit than almost any other digit is.
# A correct preparation of a photo scores 0.86-1.00 (450 photos: 15 scenes x 30 digits),
# the 0.1 below 1 being half-pixel differences of a thin stroke's placement; the
# failures of issue 26 (a halo of paper, a streak beside the digit) score 0.3-0.6.
SAME_DIGIT = 0.8

HALO = Scene(ink="blue", paper="grey", digit_share=0.35, focus=1.5, sharpen=1.0)
STREAKS = Scene(ink="green", paper="yellow", fibres=True, digit_share=0.35, focus=1.5)

# (what the photo shows, scene, MNIST test digit). The two failure classes first:
# each of these came out as a blob or a smeared digit with the preparation before issue
# 26 (preprocess.py of commit 12a88ca: correlation 0.39-0.61) and passes now.
CASES = [
    ("blue ballpoint on grey paper, soft uneven light", HALO, 4),
    ("blue ballpoint on grey paper, soft uneven light", HALO, 8),
    ("blue ballpoint on beige paper, soft uneven light", Scene(**{**vars(HALO), "paper": "beige"}), 4),
    ("green ink on yellow paper with fibres and lighter streaks", STREAKS, 2),
    ("green ink on yellow paper with fibres and lighter streaks", STREAKS, 8),
    ("black ink on yellow paper with fibres and lighter streaks", Scene(**{**vars(STREAKS), "ink": "black"}), 3),
    # A hard shadow's edge and printed ruling: these failed before too (0.37-0.53).
    ("red pen on white paper, half in shadow", Scene(ink="red", paper="white", shadow=True), 1),
    ("pencil on grey paper, half in shadow", Scene(ink="pencil", paper="grey", shadow=True), 0),
    ("marker on white paper, half in shadow", Scene(ink="marker", paper="white", shadow=True), 8),
    ("pencil on squared paper", Scene(ink="pencil", paper="squared"), 2),
    ("pencil on squared paper, dark ruling", Scene(ink="pencil", paper="squared", ruling=1.0), 5),
    # What worked before and must go on working.
    ("blue ballpoint on lined paper", Scene(paper="lined"), 0),
]


@pytest.mark.parametrize("name, scene, index", CASES, ids=[f"{name}, digit {index}" for name, scene, index in CASES])
def test_a_photo_prepares_as_its_clean_scan(name, scene, index):
    digit = sample_digit(index)
    clean = preprocess_image(io.BytesIO(clean_scan(digit, scene)), "clean.png")
    seen = preprocess_image(io.BytesIO(photo(digit, scene, seed=index)), "photo.jpg")
    assert correlation(seen, clean) >= SAME_DIGIT, name


def test_the_generator_is_seeded():
    digit = sample_digit(0)
    assert photo(digit, HALO, seed=1) == photo(digit, HALO, seed=1)
    assert photo(digit, HALO, seed=1) != photo(digit, HALO, seed=2)


def test_a_digit_does_not_match_another_digit():
    """The yardstick itself: the preparations of two different digits stay under it."""
    scene = Scene(ink="black", paper="white")
    four, eight = (preprocess_image(io.BytesIO(clean_scan(sample_digit(index), scene))) for index in (4, 8))
    assert correlation(four, eight) < SAME_DIGIT
