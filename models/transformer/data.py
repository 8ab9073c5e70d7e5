"""The three tasks' data, generated or taken from packages (nothing is downloaded), as
spike inputs for the transformer's source `in`: bool (samples, steps, n_tokens * d_in),
token-major; each sample's `frames` first steps carry it, the rest are silent so the last
frame can reach `out`.

- digits: scikit-learn's 8x8 digits, one token per image row (8 pixels), each pixel rate
  coded over the frames (intensity k/16 gives round(k / 16 * frames) evenly spaced spikes).
- recall: multi-query associative recall (Zoology's MQAR) with one token per key-value pair:
  n_pairs tokens (one-hot key + one-hot value; keys distinct), then n_queries tokens (one-hot
  key of a stored pair, no value); the answer to each query is its pair's value.
- charlm: next-character prediction on the Python docs the standard library ships
  (pydoc_data.topics), one one-hot token per character of the context.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

from spikemem.errors import ModelError


@dataclass(frozen=True)
class Split:
    """Spike inputs and labels: x bool (samples, steps, n_in); y int (samples,) or
    (samples, n_answers)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def rate_code(values: np.ndarray, frames: int) -> np.ndarray:
    """values in [0, 1] (any shape) -> bool (..., frames): round(value * frames) spikes,
    evenly spaced (deterministic)."""
    if np.any((values < 0) | (values > 1)):
        raise ModelError("rate_code: values must lie in [0, 1]; scale them first")
    count = np.round(np.asarray(values) * frames)[..., None]
    f = np.arange(frames)
    return np.floor((f + 1) * count / frames) > np.floor(f * count / frames)


def as_input(tokens: np.ndarray, steps: int) -> np.ndarray:
    """tokens bool (samples, n_tokens, d_in, frames) -> (samples, steps, n_tokens * d_in):
    the frames first, silent steps after."""
    samples, n_tokens, d_in, frames = tokens.shape
    if steps < frames:
        raise ModelError(f"as_input: steps={steps} < frames={frames}; run at least the frames")
    x = np.zeros((samples, steps, n_tokens * d_in), dtype=bool)
    x[:, :frames] = tokens.reshape(samples, n_tokens * d_in, frames).transpose(0, 2, 1)
    return x


def one_hot_tokens(symbols: np.ndarray, size: int, frames: int) -> np.ndarray:
    """int symbols (samples, n_tokens) (-1: none) -> bool (samples, n_tokens, size, frames):
    the symbol's neuron spikes in every frame."""
    hot = (symbols[..., None] == np.arange(size)) & (symbols[..., None] >= 0)
    return np.repeat(hot[..., None], frames, axis=-1)


def digits(frames: int, steps: int, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's digits (1797 images), 8 row tokens of 8 rate-coded pixels; a shuffled
    split (seeded) with test_fraction of the images held out."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(labels))
    tokens = rate_code(images[order].reshape(-1, 8, 8) / 16.0, frames)
    x, y = as_input(tokens, steps), labels[order]
    n_test = int(round(test_fraction * len(y)))
    return Split(x[n_test:], y[n_test:], x[:n_test], y[:n_test])


@dataclass(frozen=True)
class Recall:
    """Associative-recall layout: n_pairs stored pairs (keys distinct, from n_keys; values
    from n_values), then n_queries queries of distinct stored keys."""

    n_pairs: int = 6
    n_queries: int = 2
    n_keys: int = 8
    n_values: int = 8

    def __post_init__(self):
        if not 1 <= self.n_queries <= self.n_pairs <= self.n_keys:
            raise ModelError(f"Recall: need 1 <= n_queries ({self.n_queries}) <= n_pairs "
                             f"({self.n_pairs}) <= n_keys ({self.n_keys})")

    @property
    def n_tokens(self) -> int:
        return self.n_pairs + self.n_queries

    @property
    def d_in(self) -> int:
        """Token features: one-hot key, then one-hot value."""
        return self.n_keys + self.n_values

    def sample(self, n: int, frames: int, steps: int, seed: int):
        """(x bool (n, steps, n_tokens * d_in), answers int (n, n_queries)), seeded."""
        rng = np.random.default_rng(seed)
        keys = np.argsort(rng.random((n, self.n_keys)), axis=1)[:, :self.n_pairs]
        values = rng.integers(0, self.n_values, (n, self.n_pairs))
        asked = np.argsort(rng.random((n, self.n_pairs)), axis=1)[:, :self.n_queries]
        query_keys = np.take_along_axis(keys, asked, 1)
        key_sym = np.concatenate([keys, query_keys], axis=1)
        value_sym = np.concatenate([values, np.full((n, self.n_queries), -1)], axis=1)
        tokens = np.concatenate([one_hot_tokens(key_sym, self.n_keys, frames),
                                 one_hot_tokens(value_sym, self.n_values, frames)], axis=2)
        return as_input(tokens, steps), np.take_along_axis(values, asked, 1)

    def split(self, n_train: int, n_test: int, frames: int, steps: int, seed: int = 0) -> Split:
        x_tr, y_tr = self.sample(n_train, frames, steps, seed)
        x_te, y_te = self.sample(n_test, frames, steps, seed + 1)
        return Split(x_tr, y_tr, x_te, y_te)


#: the character-LM alphabet: letters, space, a few punctuation marks; '#' stands for the
#: rest (digits, brackets, other symbols)
ALPHABET = string.ascii_lowercase + " .,-'\"#"


def docs_text() -> str:
    """The Python docs' topics (pydoc_data.topics), lowercased, in ALPHABET (others as
    '#'); a run of white space or of one punctuation mark (rules such as '-----') as one."""
    from pydoc_data.topics import topics

    text = " ".join(topics[k] for k in sorted(topics)).lower()
    text = re.sub(r"\s+", " ", text)
    table = {ord(c): "#" for c in set(text) if c not in ALPHABET}
    return re.sub(r"([^a-z])\1+", r"\1", text.translate(table))


def encode(text: str) -> np.ndarray:
    """Characters of ALPHABET -> int symbols."""
    index = {c: k for k, c in enumerate(ALPHABET)}
    return np.array([index[c] for c in text], dtype=np.int64)


def char_windows(symbols: np.ndarray, context: int, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n random windows: (contexts int (n, context), next symbol int (n,))."""
    start = rng.integers(0, len(symbols) - context, n)
    idx = start[:, None] + np.arange(context + 1)
    w = symbols[idx]
    return w[:, :context], w[:, context]


def charlm(context: int, frames: int, steps: int, n_train: int, n_test: int,
           seed: int = 0) -> Split:
    """Windows of `context` characters and the next one: training windows from the first
    90% of docs_text(), test windows from the last 10% (never seen in training)."""
    symbols = encode(docs_text())
    cut = int(0.9 * len(symbols))
    rng = np.random.default_rng(seed)
    parts = []
    for part, n in ((symbols[:cut], n_train), (symbols[cut:], n_test)):
        ctx, nxt = char_windows(part, context, n, rng)
        parts += [as_input(one_hot_tokens(ctx, len(ALPHABET), frames), steps), nxt]
    return Split(*parts)
