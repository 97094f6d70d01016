"""Data loading and reporting shared by the peer benchmarks. The protocol (network, data,
hidden widths, step size, batch, epochs, splits) comes from the Rust side as JSON
(experiments/src/bench.rs, `Protocol`); nothing of it is repeated here."""
import gzip
import json
import os
import resource
import sys

import numpy as np

def protocol(arg):
    """The protocol JSON given on the command line."""
    return json.loads(arg)


def _idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(proto, data_dir):
    """The protocol's train and held-out splits as (u8 images flattened, labels)."""
    (t0, t1), (h0, h1) = proto["train"], proto["held_out"]
    if proto["dataset"] == "mnist":
        d = os.path.join(data_dir, "mnist")
        find = lambda stem: next(os.path.join(d, f) for f in os.listdir(d) if f.startswith(stem))
        x = _idx(find("train-images"))
        x = x.reshape(len(x), -1)
        y = _idx(find("train-labels"))
    else:
        d = os.path.join(data_dir, "cifar-10-batches-bin")
        recs = np.concatenate([np.fromfile(os.path.join(d, f"data_batch_{i}.bin"), np.uint8).reshape(-1, 3073) for i in range(1, 6)])
        x, y = recs[:, 1:], recs[:, 0]
    return (x[t0:t1], y[t0:t1]), (x[h0:h1], y[h0:h1])


def report(impl, network, epoch_seconds, accuracy):
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"impl": impl, "network": network, "epoch_seconds": epoch_seconds,
                      "heldout_accuracy": accuracy, "peak_rss_mib": peak_kib / 1024}))
    sys.stdout.flush()
