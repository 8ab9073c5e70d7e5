"""The tasks' data: rate coding, the input layout, digits, associative recall and the
character-level text."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.models.transformer import data


def test_rate_code_gives_evenly_spaced_spike_counts():
    spikes = data.rate_code(np.array([0.0, 0.25, 0.5, 1.0]), 8)
    assert spikes.shape == (4, 8)
    assert spikes.sum(1).tolist() == [0, 2, 4, 8]
    assert np.flatnonzero(spikes[2]).tolist() == [1, 3, 5, 7]
    with pytest.raises(sm.ModelError, match="values must lie in"):
        data.rate_code(np.array([1.5]), 8)


def test_as_input_is_token_major_with_silent_steps_after_the_frames():
    tokens = np.zeros((1, 2, 3, 2), dtype=bool)
    tokens[0, 1, 2, 0] = True  # token 1, feature 2, frame 0
    x = data.as_input(tokens, 5)
    assert x.shape == (1, 5, 6)
    assert np.argwhere(x[0]).tolist() == [[0, 1 * 3 + 2]]
    with pytest.raises(sm.ModelError, match="steps=1 < frames=2"):
        data.as_input(tokens, 1)


def test_digits_split():
    s = data.digits(frames=4, steps=6)
    assert s.x_train.shape == (1438, 6, 64) and s.x_test.shape == (359, 6, 64)
    assert s.x_train.dtype == bool and not s.x_train[:, 4:].any()
    assert set(np.unique(s.y_test)) == set(range(10))


def test_recall_answers_are_the_values_of_the_queried_keys():
    task = data.Recall(n_pairs=4, n_queries=2, n_keys=6, n_values=5)
    x, y = task.sample(50, frames=2, steps=3, seed=1)
    assert x.shape == (50, 3, task.n_tokens * task.d_in) and y.shape == (50, 2)
    tokens = x[:, 0].reshape(50, task.n_tokens, task.d_in)
    keys, values = tokens[..., :6], tokens[..., 6:]
    assert np.all(keys.sum(-1) == 1)                                  # one key per token
    assert np.all(values[:, :4].sum(-1) == 1) and not values[:, 4:].any()  # queries: none
    for b in range(50):
        stored = {int(np.argmax(keys[b, i])): int(np.argmax(values[b, i])) for i in range(4)}
        assert len(stored) == 4  # distinct keys
        asked = [int(np.argmax(keys[b, 4 + g])) for g in range(2)]
        assert len(set(asked)) == 2 and [stored[k] for k in asked] == y[b].tolist()
    with pytest.raises(sm.ModelError, match="n_queries"):
        data.Recall(n_pairs=3, n_queries=4)


def test_text_alphabet_and_windows():
    text = data.docs_text()
    assert len(text) > 100_000 and set(text) <= set(data.ALPHABET)
    assert "  " not in text and "--" not in text
    symbols = data.encode("ab c")
    assert symbols.tolist() == [0, 1, 26, 2]
    s = data.charlm(context=5, frames=2, steps=3, n_train=20, n_test=10, seed=0)
    assert s.x_train.shape == (20, 3, 5 * len(data.ALPHABET))
    assert s.x_test.shape == (10, 3, 5 * len(data.ALPHABET)) and s.y_test.shape == (10,)
    assert np.all(s.x_train[:, :2].reshape(20, 2, 5, -1).sum(-1) == 1)  # one char per token
