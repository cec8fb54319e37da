"""PyTorch CPU baseline for bench/noisy-forward.mjs: noisy forward passes per second.

Builds the same CIFAR-style ResNet as @classfit/models (arch/build.ts: 3x3 'same' stem conv without
bias + batch norm + relu; stages of basic blocks, widths round(64*2^s*width), stride 2 at the first
block of every stage after the first, 1x1 projection shortcuts + batch norm where the shape changes;
global average pool; dense logits), in eval mode, and times what one noisy pass costs in randomised
smoothing (Cohen et al.'s core.py): x + sigma * randn, forward, argmax, per-class counts.
Prints one JSON line: {"passes_s" (wall clock), "passes_cpu_s" (process CPU time), "params", "threads", "torch", "batch", "samples"}.

Usage: /usr/bin/python3 bench/baseline/torch_noisy.py --blocks 1,1,1,1 --width 0.125 [--threads 1]
       [--samples 4096] [--batch 256] [--sigma 0.5] [--classes 10]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, residual):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=1e-3)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.residual = residual
        self.proj = None
        if residual and (stride != 1 or cin != cout):
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout, eps=1e-3))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        if self.residual:
            y = y + (self.proj(x) if self.proj is not None else x)
        return F.relu(y)


class ResNet(nn.Module):
    def __init__(self, blocks, width, channels, classes, residual=True):
        super().__init__()
        w = lambda s: max(1, round(64 * 2 ** s * width))
        self.stem = nn.Conv2d(channels, w(0), 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(w(0), eps=1e-3)
        layers = []
        cin = w(0)
        for s, n in enumerate(blocks):
            for b in range(n):
                layers.append(Block(cin, w(s), 2 if s > 0 and b == 0 else 1, residual))
                cin = w(s)
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.stages(x)
        return self.fc(x.mean(dim=(2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", default="1,1,1,1")
    ap.add_argument("--width", type=float, default=0.125)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--sigma", type=float, default=0.5)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--repeats", type=int, default=1, help="timed runs; the best is reported")
    ap.add_argument("--channels", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ResNet([int(b) for b in args.blocks.split(",")], args.width, args.channels, args.classes).eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.randn(1, args.channels, args.size, args.size)

    def count(n):
        counts = torch.zeros(args.classes, dtype=torch.long)
        with torch.no_grad():
            done = 0
            while done < n:
                b = min(args.batch, n - done)
                batch = x.repeat(b, 1, 1, 1)
                noisy = batch + torch.randn_like(batch) * args.sigma
                pred = model(noisy).argmax(1)
                counts += torch.bincount(pred, minlength=args.classes)
                done += b
        return counts

    count(min(args.samples, 2 * args.batch))  # warm-up
    dc = dt = float("inf")
    for _ in range(args.repeats):
        t = time.perf_counter()
        c = time.process_time()
        counts = count(args.samples)
        dc = min(dc, time.process_time() - c)
        dt = min(dt, time.perf_counter() - t)
        assert int(counts.sum()) == args.samples
    print(json.dumps({"passes_s": args.samples / dt, "passes_cpu_s": args.samples / dc, "params": params, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "batch": args.batch, "samples": args.samples}))


if __name__ == "__main__":
    main()
