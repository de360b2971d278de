#!/usr/bin/python3
"""make_lstm_ext_fixture.py - writes tests/fixtures/lstm_torch_ext.json, PyTorch's
reference for the C LSTM's bidirectional layers, L1 penalty, three-class head and
per-layer sizes (tests/trainer/test_lstm_torch_ext.c). A sibling of
make_lstm_fixture.py, whose fixture stays as it is.

Run by hand where torch is installed:  /usr/bin/python3 tests/make_lstm_ext_fixture.py
Weights and inputs are drawn in float32 and the model runs in float64. The C slab's
order is PyTorch's state_dict order: per layer weight_ih, weight_hh, bias_ih, bias_hh,
then (bidirectional) the same four with the suffix _reverse; then the head.
The head reads h_n: [forward final state, backward final state] of the last layer.
nn.LSTM has one hidden size for all its layers, so a case with per-layer sizes
("layer_units", 0 = the case's "units") is a chain of single-layer nn.LSTM modules,
layer l of input size n_features (l = 0) or D * H_{l-1}; its parameters are
each module's weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (+ _reverse) in
turn, the C slab's order. Cases are appended, never reordered: each case has its
own seed, so the earlier ones stay as they were.
The loss whose gradient is recorded is data loss + l1 * sum |w| over the weight
matrices (not the biases); "loss" is the data loss alone, "l1_penalty" the rest.
"""
import json
import os

import torch

CASES = [  # features, units, layers, seq_len, batch, head, bidirectional, l1, class weights,
           # per-layer sizes (None: every layer has units)
    (5, 6, 2, 7, 4, "direction", True, 0.0, None),
    (3, 8, 1, 5, 3, "return", True, 0.01, None),
    (4, 10, 2, 6, 3, "direction", False, 0.02, None),
    (3, 5, 3, 4, 2, "return", True, 0.005, None),
    # the three-class head: nn.CrossEntropyLoss, with and without class weights
    (4, 6, 2, 5, 6, "multiclass", True, 0.0, [1.0, 2.0, 0.5]),
    (3, 7, 1, 6, 5, "multiclass", False, 0.01, None),
    (5, 9, 2, 4, 7, "multiclass", False, 0.0, [0.25, 1.0, 3.0]),
    # per-layer sizes: shrinking, growing, defaults mixed in, 4 layers, 17 (not a
    # multiple of the kernels' 16)
    (5, 4, 3, 6, 4, "direction", False, 0.0, None, [7, 0, 3]),
    (3, 6, 2, 5, 3, "return", True, 0.01, None, [3, 10]),
    (4, 5, 4, 4, 5, "multiclass", True, 0.0, [1.0, 0.5, 2.0], [8, 3, 0, 6]),
    (3, 16, 2, 5, 3, "multiclass", False, 0.005, None, [17, 5]),
]
K = 3  # classes of the multiclass head


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def stack(F, H, L, bidir, sizes):
    """The LSTM layers as (module, its layer index) pairs: one nn.LSTM of L layers,
    or with per-layer sizes one single-layer module per layer."""
    if sizes is None:
        lstm = torch.nn.LSTM(F, H, L, batch_first=True, bidirectional=bidir)
        return [(lstm, l) for l in range(L)], H
    D, mods, k = 2 if bidir else 1, [], F
    for h in sizes:
        h = h or H
        mods.append((torch.nn.LSTM(k, h, 1, batch_first=True, bidirectional=bidir), 0))
        k = D * h
    return mods, k // D


def case(F, H, L, T, B, head, bidir, l1, class_weight, sizes=None, seed=0):
    torch.manual_seed(seed)
    D = 2 if bidir else 1
    layers, top = stack(F, H, L, bidir, sizes)
    modules = list(dict.fromkeys(m for m, _ in layers))
    lin = torch.nn.Linear(D * top, K if head == "multiclass" else 1)
    with torch.no_grad():  # scale weights up so the gates leave their linear range
        for p in [q for m in modules for q in m.parameters()] + list(lin.parameters()):
            p.mul_(2.0)
    for m in modules:
        m.double()
    lin = lin.double()
    params, weights = [], []
    for mod, l in layers:
        for sfx in ([""] + (["_reverse"] if bidir else [])):
            ps = [getattr(mod, n + str(l) + sfx) for n in
                  ("weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l")]
            params += ps
            weights += ps[:2]
    params += [lin.weight, lin.bias]
    weights += [lin.weight]
    x = (torch.rand(B, T, F) * 2 - 1).double().requires_grad_(True)
    if head == "direction":
        y = (torch.rand(B) > 0.5).double()
    elif head == "multiclass":
        y = torch.randint(0, K, (B,))
    else:
        y = torch.randn(B).float().double()
    out = x
    for m in modules:
        out, (h_n, _) = m(out)
    last = torch.cat([h_n[-2], h_n[-1]], dim=1) if bidir else h_n[-1]
    z = lin(last)
    if head != "multiclass":
        z = z.reshape(-1)
    if head == "multiclass":
        w = torch.tensor(class_weight).double() if class_weight else None
        loss = torch.nn.functional.cross_entropy(z, y, weight=w)
        pred = torch.softmax(z, dim=1)
    elif head == "direction":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        pred = torch.sigmoid(z)
    else:
        loss = torch.nn.functional.mse_loss(z, y)
        pred = z
    penalty = l1 * sum(w.abs().sum() for w in weights)
    (loss + penalty).backward()
    rec = {
        "n_features": F, "units": H, "layers": L, "seq_len": T, "batch": B, "head": head,
        "bidirectional": bidir, "l1": l1, "n_classes": K if head == "multiclass" else 0,
        "class_weight": class_weight or [], "layer_units": sizes or [],
        "params": sum((flat(p) for p in params), []),
        "x": flat(x), "y": flat(y), "out": flat(pred), "loss": float(loss),
        "l1_penalty": float(penalty),
        "grad_params": sum((flat(p.grad) for p in params), []),
        "grad_x": flat(x.grad),
    }
    lr, wd, clip = 0.01, 0.01, 0.5
    torch.nn.utils.clip_grad_norm_(params, clip)
    opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
    opt.step()
    rec.update({"adam_lr": lr, "adam_weight_decay": wd, "clip_norm": clip,
                "params_after_step": sum((flat(p) for p in params), [])})
    return rec


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = [case(*c, seed=200 + i) for i, c in enumerate(CASES)]
    doc = {"generator": "tests/make_lstm_ext_fixture.py", "torch": torch.__version__,
           "cases": cases}
    path = os.path.join(here, "fixtures", "lstm_torch_ext.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
    print("wrote", path, sum(len(c["params"]) for c in cases), "parameters")


if __name__ == "__main__":
    main()
