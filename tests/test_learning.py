"""End to end: the engine, layers and Adam together learn small problems, on every backend.

Each problem is one a linear model cannot solve (two interleaved moons; bar orientation at an
unknown position), so passing shows that gradients flow correctly through every layer."""
import numpy as np

import stylegan_np as sg
import stylegan_np.nn as nn
import stylegan_np.optim as optim


def two_moons(n, rng, noise=0.1):
    """Two interleaving half circles (labels +1 and -1), standardised."""
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 1, upper, lower) + noise * rng.standard_normal((n, 2))
    x = (x - np.array([0.5, 0.25])) / np.array([0.85, 0.5])
    return x.astype(np.float32), np.where(label == 1, 1.0, -1.0).astype(np.float32)


def logistic_loss(logits, y):
    """mean log(1 + exp(-y * logit)) for labels y in {-1, +1}."""
    return sg.softplus(-logits * y).mean()


def accuracy(logits, y):
    return float((np.sign(logits.numpy().ravel()) == y).mean())


def test_mlp_separates_two_moons(xp):
    rng = np.random.default_rng(0)
    x_np, y_np = two_moons(256, rng)
    x_test, y_test = two_moons(512, rng)
    x, y = sg.Tensor(xp.asarray(x_np)), sg.Tensor(xp.asarray(y_np[:, None]))
    assert 0.4 < (y_np > 0).mean() < 0.6

    model = nn.Sequential(nn.Linear(2, 32, activation="lrelu"), nn.Linear(32, 32, activation="lrelu"),
                          nn.Linear(32, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = logistic_loss(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert first > 0.4                                      # it started near chance (log 2 = 0.69)
    with sg.no_grad():
        final = logistic_loss(model(x), y).item()
        test_acc = accuracy(model(sg.Tensor(xp.asarray(x_test))), y_test)
    assert final < 0.05, final
    assert accuracy(model(x), y_np) > 0.98
    assert test_acc > 0.95, test_acc


def bars(n, rng, size=8, noise=0.3):
    """Images with one horizontal (label +1) or vertical (label -1) bar at a random row/column."""
    images = noise * rng.standard_normal((n, 1, size, size))
    label = rng.integers(0, 2, n)
    where = rng.integers(0, size, n)
    for i in range(n):
        if label[i]:
            images[i, 0, where[i], :] += 1.0
        else:
            images[i, 0, :, where[i]] += 1.0
    return images.astype(np.float32), np.where(label == 1, 1.0, -1.0).astype(np.float32)


class BarNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, activation="lrelu")
        self.head = nn.Linear(8 * 4 * 4, 1)

    def forward(self, x):
        h = sg.avg_pool2d(self.conv(x), 2)
        return self.head(sg.flatten(h))


def test_conv_net_tells_horizontal_from_vertical_bars(xp):
    rng = np.random.default_rng(1)
    x_np, y_np = bars(128, rng)
    x_test, y_test = bars(256, rng)
    x, y = sg.Tensor(xp.asarray(x_np)), sg.Tensor(xp.asarray(y_np[:, None]))
    model = BarNet()
    opt = optim.Adam(model.parameters(), lr=0.03)
    with sg.no_grad():
        initial = logistic_loss(model(x), y).item()
    for _ in range(120):
        opt.zero_grad()
        loss = logistic_loss(model(x), y)
        loss.backward()
        opt.step()
    with sg.no_grad():
        final = logistic_loss(model(x), y).item()
        test_acc = accuracy(model(sg.Tensor(xp.asarray(x_test))), y_test)
    assert final < 0.1 and final < initial / 4, (initial, final)
    assert test_acc > 0.95, test_acc
