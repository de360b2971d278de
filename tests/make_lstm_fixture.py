#!/usr/bin/python3
"""make_lstm_fixture.py - writes tests/fixtures/lstm_torch.json, PyTorch's reference
outputs and gradients for the C LSTM (tests/trainer/test_lstm_torch_parity.c).

Run by hand where torch is installed:  /usr/bin/python3 tests/make_lstm_fixture.py
Weights and inputs are drawn in float32 (so the C side holds them exactly), then the
model runs in float64, so the fixture holds the exact answer for those values.
Parameters and their gradients are listed in the order of the C parameter slab
(trainer/lstm.h): per layer weight_ih, weight_hh, bias_ih, bias_hh; then the head's
weight and bias. The Adam case records one clipped Adam step with weight decay.
"""
import json
import os

import torch

CASES = [  # features, units, layers, seq_len, batch, head
    (5, 8, 1, 7, 4, "direction"),
    (3, 16, 2, 10, 5, "return"),
    (4, 20, 3, 6, 3, "direction"),
    (6, 24, 2, 12, 6, "return"),
]


def f32(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(F, H, L, T, B, head, seed):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(F, H, L, batch_first=True)
    lin = torch.nn.Linear(H, 1)
    with torch.no_grad():  # scale weights up so the gates leave their linear range
        for p in list(lstm.parameters()) + list(lin.parameters()):
            p.mul_(2.0)
    lstm, lin = lstm.double(), lin.double()
    params = []
    for l in range(L):
        params += [getattr(lstm, n + str(l)) for n in
                   ("weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l")]
    params += [lin.weight, lin.bias]
    x = (torch.rand(B, T, F) * 2 - 1).double().requires_grad_(True)
    if head == "direction":
        y = (torch.rand(B) > 0.5).double()
    else:
        y = torch.randn(B).float().double()
    out, _ = lstm(x)
    z = lin(out[:, -1, :]).reshape(-1)
    if head == "direction":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        pred = torch.sigmoid(z)
    else:
        loss = torch.nn.functional.mse_loss(z, y)
        pred = z
    loss.backward()
    rec = {
        "n_features": F, "units": H, "layers": L, "seq_len": T, "batch": B, "head": head,
        "params": sum((f32(p) for p in params), []),
        "x": f32(x), "y": f32(y), "out": f32(pred), "loss": float(loss),
        "grad_params": sum((f32(p.grad) for p in params), []),
        "grad_x": f32(x.grad),
    }
    # one clipped Adam step with L2 weight decay from these gradients
    lr, wd, clip = 0.01, 0.01, 0.5
    torch.nn.utils.clip_grad_norm_(params, clip)
    opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
    opt.step()
    rec.update({"adam_lr": lr, "adam_weight_decay": wd, "clip_norm": clip,
                "params_after_step": sum((f32(p) for p in params), [])})
    return rec


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = [case(*c, seed=100 + i) for i, c in enumerate(CASES)]
    doc = {"generator": "tests/make_lstm_fixture.py", "torch": torch.__version__,
           "cases": cases}
    path = os.path.join(here, "fixtures", "lstm_torch.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
    print("wrote", path, sum(len(c["params"]) for c in cases), "parameters")


if __name__ == "__main__":
    main()
