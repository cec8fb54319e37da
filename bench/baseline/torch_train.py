"""PyTorch CPU baseline for bench/train-throughput.mjs.

The same CIFAR-style ResNet the bench builds in tfjs-layers (28x28x1 input, widths 16/32/64, one
basic block per stage, 3x3 'same' convs without bias + batch norm, 1x1 stride-2 projection
shortcuts, global average pool, dense 10; 78,426 parameters), trained with SGD momentum 0.9 +
weight decay 5e-4 on softmax cross-entropy, batch 64, on random inputs. Prints one JSON line:
{"train_img_s", "infer_img_s", "train_img_s_cpu", "infer_img_s_cpu", "params", "threads",
"torch"} (the _cpu rates divide by this process's CPU time instead of wall time).

Usage: /usr/bin/python3 bench/baseline/torch_train.py [--threads 1] [--steps 20] [--batch 64] [--infer-steps N]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.stages = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.stages(x)
        return self.fc(x.mean(dim=(2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--infer-steps", type=int, default=None, help="inference batches (default: --steps)")
    args = ap.parse_args()
    infer_steps = args.infer_steps or args.steps
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ResNet()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(args.batch, 1, 28, 28)
    y = torch.arange(args.batch) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for _ in range(3):
        step()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    train = args.steps * args.batch / (time.perf_counter() - t)
    train_cpu = args.steps * args.batch / (time.process_time() - c)

    model.eval()
    with torch.no_grad():
        for _ in range(3):
            model(x)
        t, c = time.perf_counter(), time.process_time()
        for _ in range(infer_steps):
            model(x)
        infer = infer_steps * args.batch / (time.perf_counter() - t)
        infer_cpu = infer_steps * args.batch / (time.process_time() - c)
    print(json.dumps({"train_img_s": train, "infer_img_s": infer, "train_img_s_cpu": train_cpu,
                      "infer_img_s_cpu": infer_cpu, "params": params,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
