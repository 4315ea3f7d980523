#!/usr/bin/python3
"""Independent reference for src/nn/rnn.ts (LSTM, GRU, RNN) and src/nn/conv.ts
(Conv1d): torch.nn's own modules (PyTorch 1.13, Debian's python3-torch),
seeded default initialisation, their outputs and the gradients of a fixed
weighted-sum loss.

Writes tests/fixtures/rnn/:
  <name>.safetensors  the module's state_dict (PyTorch's key names), F32, the
                      safetensors file written by hand: u64 header length,
                      JSON header, raw little-endian data
  expected.json       per module: its configuration, and per case the inputs
                      (multiples of 1/1000) and the expected values (7 significant digits),
                      flat row-major

Recurrent modules (batch_first, input 5, hidden 7, batch 3, 6 steps):
  lstm      torch.nn.LSTM, 2 layers, bidirectional
  gru       torch.nn.GRU, 2 layers, bidirectional
  rnn_tanh  torch.nn.RNN (tanh), 1 layer, bidirectional
  rnn_relu  torch.nn.RNN (relu), 1 layer
each in three cases:
  full    the unpadded batch, zero initial state
  packed  lengths [6, 4, 1] through pack_padded_sequence(enforce_sorted=False)
  h0      the packed batch from given h0 (and c0 for the LSTM)
Recorded: output [B, T, dirs*H] (zero at padded positions, as
pad_packed_sequence gives), h_n (and c_n) [layers*dirs, B, H], and for
  loss = sum(output * R) + sum(h_n * R2)
its value and the gradients of every parameter and of x. R is zero at padded
positions; R2 is zero outside the last layer (the rows of h_n that the output
also holds: a module that returns h_n detached reaches them through the output
at the last and first positions).

Conv1d modules (in 6 channels, out 5, batch 2, 9 steps; PyTorch's input is
[B, C, T], the fixture stores the channels-last [B, T, C] and output [B, Tout, C]):
  conv_same3    kernel 3, padding 'same'
  conv_same4d2  kernel 4, dilation 2, padding 'same'
  conv_same4    kernel 4, padding 'same' (odd total padding: 1 left, 2 right)
  conv_s2p1k5   kernel 5, stride 2, padding 1
  conv_valid2   kernel 2, padding 'valid'
with loss = sum(output * R) and the gradients of weight, bias and x.

The reference runs in float64 with the float32 weights and inputs (so it is the
exact value of what the float32 files hold, up to float64 rounding).

Run: /usr/bin/python3 scripts/rnn-fixture.py
"""
import json
import os
import struct

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "rnn")
INPUT, HIDDEN, B, T = 5, 7, 3, 6
LENGTHS = [6, 4, 1]

RECURRENT = [
    ("lstm", nn.LSTM, {"num_layers": 2, "bidirectional": True}),
    ("gru", nn.GRU, {"num_layers": 2, "bidirectional": True}),
    ("rnn_tanh", nn.RNN, {"num_layers": 1, "bidirectional": True, "nonlinearity": "tanh"}),
    ("rnn_relu", nn.RNN, {"num_layers": 1, "bidirectional": False, "nonlinearity": "relu"}),
]

CONV_IN, CONV_OUT, CONV_B, CONV_T = 6, 5, 2, 9
CONVS = [
    ("conv_same3", {"kernel_size": 3, "padding": "same"}),
    ("conv_same4d2", {"kernel_size": 4, "dilation": 2, "padding": "same"}),
    ("conv_same4", {"kernel_size": 4, "padding": "same"}),
    ("conv_s2p1k5", {"kernel_size": 5, "stride": 2, "padding": 1}),
    ("conv_valid2", {"kernel_size": 2, "padding": "valid"}),
]


def write_safetensors(path, tensors):
    """tensors: list of (name, float32 torch tensor), in order."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous()
        assert t.dtype == torch.float32, (name, t.dtype)
        values = t.reshape(-1).tolist()
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def flat(t):
    """Expected values: 7 significant digits (the tests allow 1e-5 relative)."""
    return [float("%.7g" % x) for x in t.detach().reshape(-1).tolist()]


def short(t):
    """Inputs: multiples of 1/1000, so the JSON text parses to the very float32 the reference used."""
    return [round(x * 1000) / 1000 for x in t.detach().reshape(-1).tolist()]


def f32(shape, g, scale=1.0):
    """Seeded normals rounded to 3 decimals, then to float32 (what the test feeds), held as float64."""
    return (torch.round(scale * torch.randn(shape, generator=g, dtype=torch.float64) * 1000) / 1000).float().double()


def recurrent(name, cls, kw, g):
    torch.manual_seed(1000 + len(name))
    m32 = cls(INPUT, HIDDEN, batch_first=True, **kw)  # PyTorch's default init: U(-1/sqrt(H), 1/sqrt(H))
    write_safetensors(os.path.join(OUT, name + ".safetensors"), list(m32.state_dict().items()))
    m = cls(INPUT, HIDDEN, batch_first=True, **kw).double()
    m.load_state_dict({k: v.double() for k, v in m32.state_dict().items()})
    dirs = 2 if kw["bidirectional"] else 1
    layers = kw["num_layers"]
    lstm = cls is nn.LSTM
    cases = {}
    for case in ["full", "packed", "h0"]:
        lengths = [T] * B if case == "full" else LENGTHS
        x = f32((B, T, INPUT), g).requires_grad_(True)
        real = torch.zeros(B, T, 1, dtype=torch.float64)
        for b, n in enumerate(lengths):
            real[b, :n] = 1
        R = f32((B, T, dirs * HIDDEN), g) * real
        R2 = f32((layers * dirs, B, HIDDEN), g)
        R2[: (layers - 1) * dirs] = 0
        state = None
        h0 = c0 = None
        if case == "h0":
            h0 = f32((layers * dirs, B, HIDDEN), g, 0.5)
            c0 = f32((layers * dirs, B, HIDDEN), g, 0.5)
            state = (h0, c0) if lstm else h0
        m.zero_grad()
        if case == "full":
            out, hn = m(x, state)
        else:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
            out, hn = m(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        cn = None
        if lstm:
            hn, cn = hn
        loss = (out * R).sum() + (hn * R2).sum()
        loss.backward()
        c = {
            "lengths": lengths,
            "x": short(x),
            "R": short(R),
            "R2": short(R2),
            "output": flat(out),
            "hN": flat(hn),
            "loss": float(loss),
            "grads": {k: flat(p.grad) for k, p in m.named_parameters()},
            "gradX": flat(x.grad),
        }
        if h0 is not None:
            c["h0"] = short(h0)
            if lstm:
                c["c0"] = short(c0)
        if cn is not None:
            c["cN"] = flat(cn)
        cases[case] = c
    config = {
        "mode": name,
        "inputSize": INPUT,
        "hiddenSize": HIDDEN,
        "numLayers": layers,
        "bidirectional": kw["bidirectional"],
        "batch": B,
        "seq": T,
        "keys": list(m32.state_dict().keys()),
    }
    return {"config": config, "cases": cases}


def conv(name, kw, g):
    torch.manual_seed(2000 + len(name))
    m32 = nn.Conv1d(CONV_IN, CONV_OUT, **kw)
    write_safetensors(os.path.join(OUT, name + ".safetensors"), list(m32.state_dict().items()))
    m = nn.Conv1d(CONV_IN, CONV_OUT, **kw).double()
    m.load_state_dict({k: v.double() for k, v in m32.state_dict().items()})
    x = f32((CONV_B, CONV_T, CONV_IN), g).requires_grad_(True)  # channels-last, as the library takes it
    y = m(x.transpose(1, 2)).transpose(1, 2)  # [B, Tout, Cout]
    R = f32(tuple(y.shape), g)
    loss = (y * R).sum()
    loss.backward()
    config = {
        "inChannels": CONV_IN,
        "outChannels": CONV_OUT,
        "kernelSize": kw["kernel_size"],
        "padding": kw["padding"],
        "dilation": kw.get("dilation", 1),
        "stride": kw.get("stride", 1),
        "batch": CONV_B,
        "seq": CONV_T,
        "outSeq": int(y.shape[1]),
    }
    return {
        "config": config,
        "x": short(x),
        "R": short(R),
        "output": flat(y),
        "loss": float(loss),
        "grads": {k: flat(p.grad) for k, p in m.named_parameters()},
        "gradX": flat(x.grad),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20261207)
    expected = {"torch": torch.__version__}
    for name, cls, kw in RECURRENT:
        expected[name] = recurrent(name, cls, kw, g)
    for name, kw in CONVS:
        expected[name] = conv(name, kw, g)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("wrote", OUT, "files", len(os.listdir(OUT)), "bytes", total)


if __name__ == "__main__":
    main()
