"""PyTorch reference for bench/lm-train.ts: the same decoder-only transformer (GPT-2's
layout: token and learned position embeddings, pre-LayerNorm causal attention and a
4d tanh-GELU MLP, final LayerNorm, tied head), the same token batch (read as JSON on
stdin: the spec, inputs, targets, loss weights and the steps to time) and the same step
(answer-token NLL, gradients clipped to global norm 1, AdamW), on the CPU with a fixed
number of threads. Prints one JSON line: the best of --repeats timings.

    echo '{...}' | OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch-lm-train.py --threads 2
"""
import argparse
import json
import math
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, layers):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc = nn.Linear(d, 4 * d)
        self.fc_proj = nn.Linear(4 * d, d)
        for linear in (self.qkv, self.proj, self.fc, self.fc_proj):
            nn.init.normal_(linear.weight, std=0.02)
            nn.init.zeros_(linear.bias)
        for residual in (self.proj, self.fc_proj):
            nn.init.normal_(residual.weight, std=0.02 / math.sqrt(2 * layers))

    def forward(self, x, mask):
        b, t, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, dh).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(dh)
        mixed = torch.softmax(scores.masked_fill(mask[:t, :t], float("-inf")), dim=-1) @ v
        x = x + self.proj(mixed.transpose(1, 2).reshape(b, t, d))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Transformer(nn.Module):
    def __init__(self, spec):
        super().__init__()
        d = spec["dModel"]
        self.wte = nn.Parameter(torch.randn(spec["vocabularySize"], d) * 0.02)
        self.wpe = nn.Parameter(torch.randn(spec["contextLength"], d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, spec["heads"], spec["layers"]) for _ in range(spec["layers"]))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        context = spec["contextLength"]
        self.register_buffer("mask", torch.triu(torch.ones(context, context, dtype=torch.bool), diagonal=1))

    def forward(self, tokens):
        x = F.embedding(tokens, self.wte) + self.wpe[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x, self.mask)
        return self.ln_f(x) @ self.wte.t()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    job = json.load(sys.stdin)
    model = Transformer(job["spec"])
    inputs = torch.tensor(job["inputs"], dtype=torch.long)
    targets = torch.tensor(job["targets"], dtype=torch.long)
    weights = torch.tensor(job["weights"], dtype=torch.float32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

    def step():
        optimizer.zero_grad(set_to_none=True)
        log_probs = torch.log_softmax(model(inputs), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        loss = -(log_probs * weights).sum() / weights.sum().clamp(min=1)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(2):
        step()
    timings = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for _ in range(job["steps"]):
            step()
        timings.append((time.perf_counter() - started) / job["steps"])
    best = min(timings)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": args.threads,
        "parameters": sum(p.numel() for p in model.parameters()),
        "msPerStep": round(best * 1000, 1),
        "tokensPerSecond": round(job["tokens"] / best),
    }))


if __name__ == "__main__":
    main()
