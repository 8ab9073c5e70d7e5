"""HLOP's lateral subspace as a matrix (the rate form used inside torch training).

H (m, n): m subspace neurons over n presynaptic neurons, y = H x. The first `n_frozen`
rows belong to earlier tasks and are fixed; new rows learn with the Hebbian /
anti-Hebbian subspace rule dH = y (x - H^T y)^T (averaged over the rows of a batch, clamped
to [-10, 10], with momentum 0.9, as in pkuxmq/HLOP-SNN modules/hlop_module.py). Gradients
of a weight W (n_pre, n_post) are projected out of the frozen subspace:
grad <- grad - H_f^T (H_f grad), i.e. the presynaptic activity x is replaced by
x - H_f^T H_f x. Arithmetic in torch float64.
"""
from __future__ import annotations

import numpy as np

from spikemem.continual.network import require_torch
from spikemem.errors import ModelError


class Subspace:
    """A growing subspace of R^n learned by Hebbian/anti-Hebbian subspace neurons."""

    def __init__(self, n: int, lr: float = 0.01, momentum: float = 0.9):
        torch = require_torch()
        self.n = int(n)
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.h = torch.zeros(0, self.n, dtype=torch.float64)
        self.velocity = torch.zeros(0, self.n, dtype=torch.float64)
        self.n_frozen = 0

    @property
    def size(self) -> int:
        return self.h.shape[0]

    def add(self, k: int, rng: np.random.Generator) -> int:
        """Add up to k new rows (orthonormal random start, orthogonal to the old rows);
        returns how many were added (the total never exceeds n)."""
        torch = require_torch()
        k = max(0, min(int(k), self.n - self.size))
        if k == 0:
            return 0
        old = self.h.numpy()
        start = rng.standard_normal((self.n, k))
        if self.size:
            start -= np.linalg.pinv(old) @ (old @ start)
        start = np.linalg.qr(start)[0].T
        self.h = torch.cat([self.h, torch.as_tensor(start)])
        self.velocity = torch.cat([self.velocity, torch.zeros(k, self.n, dtype=torch.float64)])
        return k

    def set_new_rows(self, h: np.ndarray) -> None:
        """Replace the rows not frozen yet by h (k, n), made orthonormal and orthogonal to
        the frozen rows (which are orthonormal: projections assume it)."""
        torch = require_torch()
        k = self.size - self.n_frozen
        h = np.asarray(h, dtype=np.float64)
        if h.shape != (k, self.n):
            raise ModelError(f"subspace: {k} new rows over {self.n} neurons, got shape "
                             f"{h.shape}")
        frozen = self.h[:self.n_frozen].numpy()
        h = h - (h @ frozen.T) @ frozen
        self.h[self.n_frozen:] = torch.as_tensor(np.linalg.qr(h.T)[0].T)

    def freeze(self) -> None:
        """Fix every current row (end of a task)."""
        self.n_frozen = self.size

    def update(self, x, iterations: int = 5) -> None:
        """Hebbian/anti-Hebbian steps on activity rows x (rows, n); frozen rows stay."""
        if self.size == self.n_frozen or len(x) == 0:
            return
        if x.shape[1] != self.n:
            raise ModelError(f"subspace over {self.n} neurons got activity with {x.shape[1]}")
        x = x.double()
        f = self.n_frozen
        for _ in range(iterations):
            y = x @ self.h.T
            err = x - y @ self.h
            dh = (y[:, f:].T @ err / len(x)).clamp(-10.0, 10.0)
            self.velocity[f:] = self.momentum * self.velocity[f:] + (1 - self.momentum) * dh
            self.h[f:] += self.lr * self.velocity[f:]

    def project_out(self, grad):
        """grad (n, m) with its component in the frozen subspace removed (along axis 0)."""
        if self.n_frozen == 0:
            return grad
        hf = self.h[:self.n_frozen].to(grad.dtype)
        return grad - hf.T @ (hf @ grad)

    def state_dict(self, prefix: str) -> dict:
        return {f"{prefix}h": self.h.numpy().copy(), f"{prefix}v": self.velocity.numpy().copy(),
                f"{prefix}frozen": np.array(self.n_frozen)}

    def load_state_dict(self, d: dict, prefix: str) -> None:
        torch = require_torch()
        self.h = torch.tensor(np.asarray(d[f"{prefix}h"], dtype=np.float64))
        self.velocity = torch.tensor(np.asarray(d[f"{prefix}v"], dtype=np.float64))
        self.n_frozen = int(d[f"{prefix}frozen"])
