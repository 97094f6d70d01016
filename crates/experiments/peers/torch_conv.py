"""The PyTorch peer of the convolutional comparison: nn.Conv2d / ReLU / MaxPool2d / Linear as
the protocol lists them, F.cross_entropy, optim.SGD, 2 threads, one timed loop per epoch."""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import load, protocol, report


def build(proto):
    c, h, w = proto["input"]
    layers = []
    for layer in proto["layers"]:
        if layer["kind"] == "conv":
            conv = torch.nn.Conv2d(c, layer["filters"], layer["kernel"], layer["stride"], layer["pad"])
            torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            torch.nn.init.zeros_(conv.bias)
            layers.append(conv)
            c = layer["filters"]
            h = (h + 2 * layer["pad"] - layer["kernel"]) // layer["stride"] + 1
            w = (w + 2 * layer["pad"] - layer["kernel"]) // layer["stride"] + 1
        elif layer["kind"] == "relu":
            layers.append(torch.nn.ReLU())
        else:
            layers.append(torch.nn.MaxPool2d(layer["size"], layer["stride"]))
            h = (h - layer["size"]) // layer["stride"] + 1
            w = (w - layer["size"]) // layer["stride"] + 1
    dense = torch.nn.Linear(c * h * w, proto["classes"])
    torch.nn.init.kaiming_normal_(dense.weight)
    torch.nn.init.zeros_(dense.bias)
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), dense)


def main(proto, data_dir):
    torch.set_num_threads(2)
    torch.manual_seed(proto["seed"])
    (xu, y), (hu, hy) = load(proto, data_dir)
    shape = [-1] + proto["input"]
    X = torch.from_numpy(xu.astype(np.float32) / 255).reshape(shape)
    Y = torch.from_numpy(y.astype(np.int64))
    model = build(proto)
    opt = torch.optim.SGD(model.parameters(), lr=proto["lr"])
    batch = proto["batch_size"]
    times = []
    for _ in range(proto["epochs"]):
        t = time.perf_counter()
        perm = torch.randperm(len(X))
        Xs, Ys = X[perm], Y[perm]
        for i in range(0, len(X), batch):
            opt.zero_grad()
            loss = F.cross_entropy(model(Xs[i:i + batch]), Ys[i:i + batch])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    with torch.no_grad():
        H = torch.from_numpy(hu.astype(np.float32) / 255).reshape(shape)
        pred = torch.cat([model(H[i:i + 500]).argmax(1) for i in range(0, len(H), 500)]).numpy()
    report("pytorch", proto["network"], times, float((pred == hy).mean()))


if __name__ == "__main__":
    main(protocol(sys.argv[1]), sys.argv[2])
