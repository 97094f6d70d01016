"""The PyTorch peer: nn.Linear stack, F.cross_entropy, optim.SGD, 2 threads."""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import load, protocol, report


def main(proto, data_dir):
    torch.set_num_threads(2)
    torch.manual_seed(proto["seed"])
    (xu, y), (hu, hy) = load(proto, data_dir)
    X = torch.from_numpy(xu.astype(np.float32) / 255)
    Y = torch.from_numpy(y.astype(np.int64))
    sizes = [X.shape[1]] + proto["hidden"] + [proto["classes"]]
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        lin = torch.nn.Linear(a, b)
        torch.nn.init.uniform_(lin.weight, -a ** -0.5, a ** -0.5)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=proto["lr"])
    batch = proto["batch_size"]
    times = []
    for _ in range(proto["epochs"]):
        t = time.perf_counter()
        perm = torch.randperm(len(X))
        Xs, Ys = X[perm], Y[perm]  # one gather per epoch, then contiguous slices
        for i in range(0, len(X), batch):
            opt.zero_grad()
            loss = F.cross_entropy(model(Xs[i:i + batch]), Ys[i:i + batch])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    with torch.no_grad():
        pred = model(torch.from_numpy(hu.astype(np.float32) / 255)).argmax(1).numpy()
    report("pytorch", proto["network"], times, float((pred == hy).mean()))


if __name__ == "__main__":
    main(protocol(sys.argv[1]), sys.argv[2])
