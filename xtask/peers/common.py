"""Data loading and the protocol shared by the peer benchmarks (see xtask/src/bench.rs)."""
import gzip
import json
import os
import resource
import sys

import numpy as np

# name -> (dataset, hidden widths)
NETWORKS = {
    "mnist-784-10": ("mnist", []),
    "mnist-784-10-10": ("mnist", [10]),
    "cifar-3072-10": ("cifar10", []),
    "cifar-3072-10-10": ("cifar10", [10]),
}
LR = {"mnist": 0.1, "cifar10": 0.01}
BATCH = 64


def _idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(dataset, data_dir):
    """Train and held-out splits of the chapter as (u8 images flattened, labels)."""
    if dataset == "mnist":
        d = os.path.join(data_dir, "mnist")
        find = lambda stem: next(os.path.join(d, f) for f in os.listdir(d) if f.startswith(stem))
        x = _idx(find("train-images")).reshape(60000, 784)
        y = _idx(find("train-labels"))
        return (x[:50000], y[:50000]), (x[50000:], y[50000:])
    d = os.path.join(data_dir, "cifar-10-batches-bin")
    recs = np.concatenate([np.fromfile(os.path.join(d, f"data_batch_{i}.bin"), np.uint8).reshape(-1, 3073) for i in range(1, 6)])
    x, y = recs[:, 1:], recs[:, 0]
    return (x[:40000], y[:40000]), (x[40000:], y[40000:])


def report(impl, network, epoch_seconds, accuracy):
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"impl": impl, "network": network, "epoch_seconds": epoch_seconds,
                      "heldout_accuracy": accuracy, "peak_rss_mib": peak_kib / 1024}))
    sys.stdout.flush()
