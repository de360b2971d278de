#!/usr/bin/python3
"""lstm_peer.py - PyTorch's nn.LSTM on the same shapes as bench_lstm, for bench/lstm.

   lstm_peer.py --shape reference|small|large [--steps N]

Same model (nn.LSTM batch_first + nn.Linear(units, 1)), loss (BCEWithLogitsLoss),
optimizer (Adam lr 1e-3, PyTorch defaults), clip_grad_norm_(1.0), dropout 0,
float32, torch.set_num_threads(1). Training times N steps over batches sliced
from one random tensor after one warm-up step; inference runs the same samples
under torch.no_grad() in eval mode. Prints one JSON line.
"""
import argparse
import json
import time

import torch

SHAPES = {  # batch, seq_len, features, units, layers, default steps
    "reference": (64, 60, 32, 128, 2, 30),
    "small": (32, 20, 32, 32, 1, 400),
    "large": (128, 120, 32, 256, 3, 4),
    "bidirectional": (64, 60, 32, 128, 2, 15),  # nn.LSTM(bidirectional=True), head on h_n
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="reference", choices=sorted(SHAPES))
    ap.add_argument("--steps", type=int, default=0)
    a = ap.parse_args()
    B, T, F, H, L, steps = SHAPES[a.shape]
    bidir = a.shape == "bidirectional"
    D = 2 if bidir else 1
    steps = a.steps or steps
    torch.set_num_threads(1)
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(F, H, L, batch_first=True, bidirectional=bidir)
            self.head = torch.nn.Linear(D * H, 1)

        def forward(self, x):
            out, (h_n, _) = self.lstm(x)
            last = torch.cat([h_n[-2], h_n[-1]], dim=1) if bidir else out[:, -1, :]
            return self.head(last).reshape(-1)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = torch.nn.BCEWithLogitsLoss()
    n = B * steps
    X = torch.rand(n, T, F) * 2 - 1
    Y = (torch.rand(n) < 0.5).float()

    def step(i):
        xb, yb = X[i * B:(i + 1) * B], Y[i * B:(i + 1) * B]
        opt.zero_grad()
        loss = lossf(net(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    net.train()
    step(0)
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    t_train = time.perf_counter() - t
    net.eval()
    with torch.no_grad():
        net(X[:B])
        t = time.perf_counter()
        for i in range(steps):
            torch.sigmoid(net(X[i * B:(i + 1) * B]))
        t_inf = time.perf_counter() - t
    print(json.dumps({"shape": a.shape, "torch": torch.__version__,
                      "torch_train_samples_per_s": n / t_train,
                      "torch_infer_samples_per_s": n / t_inf}))


if __name__ == "__main__":
    main()
