"""PyTorch reference for bench/train-step.ts: the same models, batches and step
(forward, backward, SGD momentum 0.9 + weight decay 5e-4), on the CPU with a fixed
number of threads, best of --repeats timed windows. One JSON line per case.

OpenBLAS (Debian's torch runs its dense layers through it) starts its own threads on top
of PyTorch's OpenMP threads unless OPENBLAS_NUM_THREADS says otherwise, and OpenMP's
threads spin while they wait unless OMP_WAIT_POLICY=passive; on a small or busy machine
either can oversubscribe the cores. bench/train-step.ts runs this script with each
combination (1 and default, passive and default) and compares Lethe with the fastest.
With Debian's reference libblas3 instead of OpenBLAS, the dense layers are several times
slower: `apt-get install libopenblas0-pthread` for PyTorch's best (each line names the
BLAS it loaded).

    apt-get install python3-torch
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch-train-step.py [--threads 2] [--cases mlp,cnn] [--batches 64,256]
"""
import argparse
import json
import os
import resource
import time

import torch
from torch import nn


class Normalize(nn.Module):
    """Lethe's models normalise their input inside the graph; so does this one."""

    def __init__(self, channels):
        super().__init__()
        self.register_buffer("mean", torch.full((1, channels, 1, 1), 0.5))
        self.register_buffer("std", torch.full((1, channels, 1, 1), 0.25))

    def forward(self, x):
        return (x - self.mean) / self.std


def mlp():
    return nn.Sequential(Normalize(1), nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        Normalize(1),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def cnn3():
    layers = [Normalize(3)]
    channels = 3
    for filters in (32, 64, 128):
        layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        channels = filters
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 4 * 4, 10))


class BasicBlock(nn.Module):
    def __init__(self, inputs, filters, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, filters, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(filters)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != filters:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, filters, 1, stride, bias=False), nn.BatchNorm2d(filters))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + self.shortcut(x))


def resnet18():
    """The CIFAR variant, as src/main/engine/models/architectures.ts."""
    layers = [Normalize(3), nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    inputs = 64
    for filters, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(inputs, filters, stride), BasicBlock(filters, filters, 1)]
        inputs = filters
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


CASES = {"mlp": (mlp, (1, 28, 28)), "cnn": (cnn, (1, 28, 28)), "cnn3": (cnn3, (3, 32, 32)), "resnet18": (resnet18, (3, 32, 32))}


def blas_library():
    """The BLAS library this process loaded (Debian's torch takes whichever libblas.so.3 the system provides)."""
    torch.rand(8, 8) @ torch.rand(8, 8)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return sorted(paths)[0] if paths else "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--batches", default="64,256")
    parser.add_argument("--seconds", type=float, default=3, help="length of each timed window")
    parser.add_argument("--repeats", type=int, default=3, help="timed windows; the fastest is reported")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    blas = blas_library()
    for name in args.cases.split(","):
        make, shape = CASES[name]
        for batch in map(int, args.batches.split(",")):
            model = make().train()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
            x = torch.rand(batch, *shape)
            y = torch.randint(0, 10, (batch,))

            def step():
                optimizer.zero_grad(set_to_none=True)
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                return loss.item()

            step()  # warm-up, as bench/train-step.ts
            windows = []
            for _ in range(args.repeats):
                steps, start = 0, time.perf_counter()
                while steps < 2 or time.perf_counter() - start < args.seconds:
                    step()
                    steps += 1
                windows.append((steps * batch / (time.perf_counter() - start), steps))
            best, steps = max(windows)
            environment = ", ".join(f"{k}={os.environ.get(k, 'default')}" for k in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY"))
            print(json.dumps({
                "bench": "train-step", "case": name, "batch": batch,
                "backend": f"pytorch {torch.__version__} cpu, {args.threads} threads, {environment}", "blas": blas,
                "samplesPerSecond": round(best), "windows": [round(w) for w, _ in windows],
                "msPerStep": round(batch / best * 1000, 1), "steps": steps,
                "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }), flush=True)


if __name__ == "__main__":
    main()
