"""Chapter 1, instructor-only grading tests (left out of the student version; the grader runs them
beside the public ones).  Random graphs instead of hand-made ones, so that a solution tuned to the
public tests' graphs does not pass by accident."""
import numpy as np
import pytest

from stylegan_np import grad
from stylegan_np.autograd import Tensor, _topological_order
from stylegan_np.checks import check, close

from test_ch01_autograd import T, check_order, creation_order  # noqa: F401  (a fixture)


def random_graph(xp, rng, n_leaves=3, n_ops=25):
    """Sums and differences of random earlier tensors; returns (leaves, tensors, d out / d leaf)."""
    leaves = [T(xp, rng.standard_normal(2), True) for _ in range(n_leaves)]
    nodes = list(leaves)
    coeff = [np.eye(n_leaves)[i] for i in range(n_leaves)]      # each node = sum_i coeff_i leaf_i
    for _ in range(n_ops):
        i, j = rng.integers(0, len(nodes), 2)
        if rng.random() < 0.5:
            nodes.append(nodes[i] + nodes[j])
            coeff.append(coeff[i] + coeff[j])
        else:
            nodes.append(nodes[i] - nodes[j])
            coeff.append(coeff[i] - coeff[j])
    return leaves, nodes, coeff[-1]


@pytest.mark.ch01_topological_order
@pytest.mark.parametrize("seed", range(6))
def test_topological_order_of_random_graphs(xp, seed):
    rng = np.random.default_rng(seed)
    leaves, nodes, _ = random_graph(xp, rng)
    out = nodes[-1]
    order = _topological_order([out])
    check_order(order, [out], [out])


@pytest.mark.ch01_topological_order
def test_topological_order_of_two_roots_sharing_a_subgraph(xp, rng):
    x = T(xp, rng.standard_normal(2), True)
    shared = (x + x) - x
    r1, r2 = shared + x, shared - shared
    order = _topological_order([r1, r2])
    check_order(order, [r1, r2], [x, shared, r1, r2])
    ids = [id(t) for t in order]
    check(ids.index(id(r2)) < ids.index(id(shared)), "every root must come before the tensors it was made from")


@pytest.mark.ch01_backward_pass
@pytest.mark.parametrize("seed", range(4))
def test_backward_through_random_graphs(xp, seed, creation_order):
    rng = np.random.default_rng(100 + seed)
    leaves, nodes, coeff = random_graph(xp, rng)
    creation_order.extend(leaves)
    gy = rng.standard_normal(2)
    nodes[-1].backward(T(xp, gy))
    for k, leaf in enumerate(leaves):
        if coeff[k] == 0 and leaf.grad is None:
            continue
        check(leaf.grad is not None, "a leaf on a path from the output received no gradient")
        close(leaf.grad, coeff[k] * gy, "the gradient of a random sum-and-difference graph: every path counts, "
                                        "with its sign")


@pytest.mark.ch01_backward_pass
def test_the_same_root_given_twice(xp, rng, creation_order):
    x = T(xp, rng.standard_normal(3), True)
    creation_order.append(x)
    y = x + x
    g, = grad([y, y], [x], grad_outputs=[T(xp, np.ones(3)), T(xp, np.full(3, 2.0))])
    close(g, np.full(3, 6.0), "a root listed twice adds both upstream gradients: d(2x)/dx (1 + 2) = 6")
    check(isinstance(g, Tensor), "grad() returns Tensors")
