"""The NumPy forward pass of all-MiniLM-L6-v2 against vectors computed by sentence-transformers.

The expected values were computed by sentence-transformers 5 (torch, CPU) from the same
package's files, in a separate environment (neither is a dependency of Cairn). Skipped where
the `embed` extra (numpy, safetensors, the weights package) is not installed.
"""

from __future__ import annotations

import pytest

from cairn.memory.minilm import DIM, MODEL_ID, load_encoder

encoder = load_encoder()
pytestmark = pytest.mark.skipif(encoder is None, reason="the `embed` extra is not installed")

LONG = " ".join(["This is a very long message that goes past the token limit."] * 60)
# (text, the first six values of its vector according to sentence-transformers)
EXPECTED = [
    (
        "Use port 5433 for the staging Postgres database.",
        [0.061111, -0.034418, -0.08619, -0.057829, -0.070614, -0.055313],
    ),
    (
        "I adopted a golden retriever puppy named Max last weekend!",
        [-0.056508, -0.002069, 0.116532, 0.045683, -0.066471, -0.044923],
    ),
    (LONG, [0.035717, 0.010605, 0.076827, 0.013418, 0.025934, 0.056108]),  # cut at 256 tokens
]


def test_vectors_match_sentence_transformers():
    assert encoder is not None
    vectors = encoder.encode([text for text, _ in EXPECTED])
    assert vectors.shape == (len(EXPECTED), DIM) and encoder.model_id == MODEL_ID
    for vector, (_, expected) in zip(vectors, EXPECTED):
        assert [round(float(x), 4) for x in vector[:6]] == [round(x, 4) for x in expected]
        assert abs(float((vector**2).sum()) - 1.0) < 1e-5


def test_a_batch_gives_each_text_the_vector_it_gets_alone():
    # Texts of different lengths share a padded batch: padding must not leak into a vector.
    assert encoder is not None
    texts = ["a dog", "the staging database listens on port 5433 since the migration", ""]
    together = encoder.encode(texts)
    for text, vector in zip(texts, together):
        alone = encoder.encode([text])[0]
        assert float(vector @ alone) > 0.99999
    assert encoder.encode([]).shape == (0, DIM)
