"""The numpy peer: plain SGD, batch 64, W ~ U(+-1/sqrt(fan_in)), b = 0, sigmoid hidden layers."""
import sys
import time

import numpy as np

from common import load, protocol, report


def main(proto, data_dir):
    (xu, y), (hu, hy) = load(proto, data_dir)
    X = xu.astype(np.float32) / 255  # the whole training set preloaded as one f32 matrix
    rng = np.random.default_rng(proto["seed"])
    sizes = [X.shape[1]] + proto["hidden"] + [proto["classes"]]
    Ws = [rng.uniform(-a ** -0.5, a ** -0.5, (a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    lr = np.float32(proto["lr"])
    batch = proto["batch_size"]
    times = []
    for _ in range(proto["epochs"]):
        t = time.perf_counter()
        perm = rng.permutation(len(X))
        Xs, ys = X[perm], y[perm]  # one gather per epoch
        for i in range(0, len(X), batch):
            acts = [Xs[i:i + batch]]
            yb = ys[i:i + batch]
            for l, (W, b) in enumerate(zip(Ws, bs)):
                z = acts[-1] @ W + b
                acts.append(1 / (1 + np.exp(-z)) if l < len(Ws) - 1 else z)
            z = acts[-1] - acts[-1].max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            d = p / len(yb)
            for l in reversed(range(len(Ws))):
                gW, gb = acts[l].T @ d, d.sum(0)
                if l:
                    d = (d @ Ws[l].T) * acts[l] * (1 - acts[l])
                Ws[l] -= lr * gW
                bs[l] -= lr * gb
        times.append(time.perf_counter() - t)
    a = hu.astype(np.float32) / 255
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = a @ W + b
        if l < len(Ws) - 1:
            a = 1 / (1 + np.exp(-a))
    report("numpy", proto["network"], times, float((a.argmax(1) == hy).mean()))


if __name__ == "__main__":
    main(protocol(sys.argv[1]), sys.argv[2])
