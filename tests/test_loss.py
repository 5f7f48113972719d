"""The contrastive unlearning loss against an oracle: a per-anchor Python loop written straight from
docs/METHOD.md's formula, on random embeddings and labels. Values and gradients must agree.

    sample mode, per anchor:  l_i = -(1/|N_i|) * sum_{a in N_i} [ s_ia - log sum_{p in P_i} exp(s_ip) ]
    class mode (P_i empty):   l_i = -(1/|N_i|) * sum_{a in N_i} s_ia   (+ the constant log|N_i|)

The engine leaves the class-mode constant out (it has no gradient; contrastive.py says so), so values
are compared without it and gradients are compared with it, which shows it changes nothing the
optimiser sees.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from unlearn_core.contrastive import contrastive_loss

TAU = 0.7


def naive_loss(z_anchor, y_anchor, z_remain, y_remain, tau, class_mode_constant=False):
    """L_UL by the formula, one anchor and one remaining sample at a time (no masks, no vectorisation)."""
    per_anchor = []
    for i in range(len(z_anchor)):
        positives = [j for j in range(len(z_remain)) if int(y_remain[j]) == int(y_anchor[i])]
        negatives = [j for j in range(len(z_remain)) if int(y_remain[j]) != int(y_anchor[i])]
        if not negatives:
            continue     # nothing to pull toward: the engine leaves such an anchor out of the mean
        s = lambda j: torch.dot(z_anchor[i], z_remain[j]) / tau  # noqa: E731
        if positives:
            log_pos = torch.log(sum(torch.exp(s(p)) for p in positives))
            terms = [s(a) - log_pos for a in negatives]
        else:            # the class-mode form: no log(0)
            terms = [s(a) for a in negatives]
        l_i = -sum(terms) / len(negatives)
        if not positives and class_mode_constant:
            l_i = l_i + math.log(len(negatives))
        per_anchor.append(l_i)
    return sum(per_anchor) / len(per_anchor)


def unit_vectors(gen, n, dim):
    """Leaf tensors on the unit sphere, as the models' embeddings are."""
    return F.normalize(torch.randn(n, dim, generator=gen), dim=1).requires_grad_(True)


def loss_and_grads(fn, z_anchor, y_anchor, z_remain, y_remain, **kwargs):
    loss = fn(z_anchor, y_anchor, z_remain, y_remain, TAU, **kwargs)
    grads = torch.autograd.grad(loss, (z_anchor, z_remain))
    return loss.detach(), grads


def assert_matches_oracle(z_anchor, y_anchor, z_remain, y_remain):
    got, got_grads = loss_and_grads(contrastive_loss, z_anchor, y_anchor, z_remain, y_remain)
    want, _ = loss_and_grads(naive_loss, z_anchor, y_anchor, z_remain, y_remain)
    _, want_grads = loss_and_grads(naive_loss, z_anchor, y_anchor, z_remain, y_remain, class_mode_constant=True)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    for g, w in zip(got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_mode_matches_the_formula_on_random_labels(seed):
    gen = torch.Generator().manual_seed(seed)
    y_anchor = torch.randint(0, 5, (12,), generator=gen)
    y_remain = torch.randint(0, 5, (20,), generator=gen)
    assert_matches_oracle(unit_vectors(gen, 12, 16), y_anchor, unit_vectors(gen, 20, 16), y_remain)


def test_sample_mode_with_an_anchor_that_has_no_positive():
    gen = torch.Generator().manual_seed(3)
    y_remain = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    y_anchor = torch.tensor([0, 7, 1, 9])       # labels 7 and 9 appear nowhere in the remaining batch
    z_anchor, z_remain = unit_vectors(gen, 4, 8), unit_vectors(gen, 8, 8)
    loss = contrastive_loss(z_anchor, y_anchor, z_remain, y_remain, TAU)
    assert torch.isfinite(loss)                 # no log(0) = -inf leaking into the mean
    (g_anchor,) = torch.autograd.grad(loss, (z_anchor,))
    assert torch.isfinite(g_anchor).all()
    assert_matches_oracle(z_anchor, y_anchor, z_remain, y_remain)


def test_class_mode_matches_the_formula():
    """Class mode: every anchor has the forget label, which no remaining sample has."""
    gen = torch.Generator().manual_seed(4)
    y_anchor = torch.full((10,), 5)
    y_remain = torch.tensor([c for c in range(10) if c != 5] * 3)
    assert_matches_oracle(unit_vectors(gen, 10, 32), y_anchor, unit_vectors(gen, len(y_remain), 32), y_remain)


def test_class_mode_is_minus_the_mean_similarity():
    """With no positives anywhere, l_i is minus anchor i's mean similarity to the whole remaining batch,
    so L_UL is minus the mean of the whole similarity matrix: an independent closed form."""
    gen = torch.Generator().manual_seed(5)
    z_anchor, z_remain = unit_vectors(gen, 7, 12), unit_vectors(gen, 9, 12)
    y_anchor, y_remain = torch.full((7,), 3), torch.tensor([0, 1, 2, 4, 5, 6, 7, 8, 9])
    loss = contrastive_loss(z_anchor, y_anchor, z_remain, y_remain, TAU)
    torch.testing.assert_close(loss, -(z_anchor @ z_remain.T / TAU).mean())


def test_minimising_pulls_anchors_toward_negatives_and_away_from_positives():
    """The direction of the method: a gradient step on L_UL raises similarity to other-label samples
    and lowers it to same-label ones (the reverse of supervised contrastive learning)."""
    gen = torch.Generator().manual_seed(6)
    z_anchor = unit_vectors(gen, 1, 8)
    z_remain = unit_vectors(gen, 6, 8).detach()
    y_anchor, y_remain = torch.tensor([0]), torch.tensor([0, 0, 0, 1, 2, 3])
    loss = contrastive_loss(z_anchor, y_anchor, z_remain, y_remain, TAU)
    (grad,) = torch.autograd.grad(loss, (z_anchor,))
    moved = z_anchor.detach() - 0.05 * grad
    before, after = (z_anchor.detach() @ z_remain.T)[0], (moved @ z_remain.T)[0]
    assert (after[3:] > before[3:]).all()       # negatives: closer
    assert (after[:3] < before[:3]).all()       # positives: further


def test_an_anchor_without_negatives_contributes_nothing_and_the_loss_keeps_its_graph():
    """|N_i| = 0 makes the formula's 1/|N_i| undefined: such an anchor is left out of the mean; when no
    anchor has a negative, the loss is a zero that still backpropagates (the step is a no-op)."""
    gen = torch.Generator().manual_seed(7)
    z_anchor, z_remain = unit_vectors(gen, 3, 4), unit_vectors(gen, 5, 4)
    all_positive = contrastive_loss(z_anchor, torch.zeros(3, dtype=torch.long), z_remain,
                                    torch.zeros(5, dtype=torch.long), TAU)
    assert all_positive.detach().item() == 0.0
    (grad,) = torch.autograd.grad(all_positive, (z_anchor,))
    assert torch.equal(grad, torch.zeros_like(grad))

    y_anchor, y_remain = torch.tensor([0, 1, 2]), torch.zeros(5, dtype=torch.long)
    # anchor 0 has only positives: the loss is the mean over anchors 1 and 2 alone
    assert_matches_oracle(z_anchor, y_anchor, z_remain, y_remain)
