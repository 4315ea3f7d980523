#!/usr/bin/python3
"""GPT-2 as an ONNX decoder with past keys / values, for the generation benchmark
against onnxruntime-web, plus the same weights as a Hugging Face model directory
for our GPT2LMHeadModel.

The model is the plain-torch GPT-2 of scripts/gpt2-fixture.py (Hugging Face's
GPT2LMHeadModel names and Conv1D layouts), shaped like gpt2 (124M: 12 layers,
width 768, 12 heads, vocab 50257, 1024 positions) unless told otherwise, with
seeded random weights in GPT-2's initialisation (N(0, 0.02²), the `c_proj`
weights N(0, (0.02 / sqrt(2 n_layer))²), biases 0, LayerNorm 1 / 0).

Writes to --out (default runs/gpt2-small/, git-ignored):
  model.onnx         opset 14, exported with torch.onnx.export (tracing). Inputs:
                       input_ids                  int64 [1, n]
                       past_key_values.{i}.key    float32 [1, heads, past, hidden / heads]
                       past_key_values.{i}.value  float32 [1, heads, past, hidden / heads]
                     (n and past dynamic; past may be 0; positions are past .. past + n − 1,
                     computed inside). Outputs:
                       logits                     float32 [1, vocab], of the last position
                       present.{i}.key / .value   float32 [1, heads, past + n, hidden / heads]
                     The output layer is tied to the token embeddings: one initializer.
  config.json        Hugging Face GPT2Config
  model.safetensors  the same weights, F32, GPT2LMHeadModel's keys (`transformer.*`)
  export.json        shapes, input / output names, seed and the export time

Run: /usr/bin/python3 scripts/gpt2-onnx.py [--out DIR] [--layers 12] [--hidden 768]
     [--heads 12] [--vocab 50257] [--positions 1024] [--seed 0]
"""
import argparse
import importlib.util
import json
import math
import os
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gpt2_fixture", os.path.join(HERE, "gpt2-fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


class Decoder(nn.Module):
    """(input_ids, k_0, v_0, ..., k_{L-1}, v_{L-1}) → (logits of the last position, present k_0, v_0, ...)."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        h, presents = self.lm.transformer(input_ids, None, past)
        # wte [V, D] @ h [1, D, 1]: a MatMul on the embedding table itself (h @ wteᵀ would be
        # exported with a constant-folded transposed copy of the table)
        logits = torch.matmul(self.lm.transformer.wte.weight, h[:, -1, :].unsqueeze(-1)).squeeze(-1)
        return (logits, *[t for kv in presents for t in kv])


def gpt2_init(model, c, seed):
    torch.manual_seed(seed)
    std, proj = c["initializer_range"], c["initializer_range"] / math.sqrt(2 * c["n_layer"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                p.fill_(1)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0, proj if name.endswith("c_proj.weight") else std)
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.normpath(os.path.join(HERE, "..", "runs", "gpt2-small")))
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--positions", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.hidden % a.heads != 0:
        ap.error(f"--hidden must be a multiple of --heads ({a.heads}), got {a.hidden}")
    c = fx.gpt2_config(vocab_size=a.vocab, n_positions=a.positions, n_embd=a.hidden, n_layer=a.layers,
                       n_head=a.heads, bos_token_id=a.vocab - 1, eos_token_id=a.vocab - 1)
    os.makedirs(a.out, exist_ok=True)
    lm = gpt2_init(fx.GPT2LMHead(c), c, a.seed)

    t0 = time.time()
    fx.write_config(os.path.join(a.out, "config.json"), c)
    fx.write_safetensors(os.path.join(a.out, "model.safetensors"), list(lm.state_dict().items()))
    t_st = time.time() - t0

    L, H, d = a.layers, a.heads, a.hidden // a.heads
    names_in = ["input_ids"] + [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    names_out = ["logits"] + [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    dynamic = {"input_ids": {1: "sequence"}}
    for n in names_in[1:]:
        dynamic[n] = {2: "past_sequence"}
    for n in names_out[1:]:
        dynamic[n] = {2: "total_sequence"}
    # traced at past 2, n 3: neither is special-cased (0 or 1 would be)
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, a.vocab, (1, 3), generator=g)
    past = [torch.randn(1, H, 2, d, generator=g) for _ in range(2 * L)]
    dec = Decoder(lm).eval()
    path = os.path.join(a.out, "model.onnx")
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(dec, (ids, *past), path, opset_version=14, input_names=names_in, output_names=names_out,
                          dynamic_axes=dynamic, do_constant_folding=True)
    t_onnx = time.time() - t0

    # the exported graph's function, in torch: a prompt, then one token after it
    with torch.no_grad():
        prompt = torch.randint(0, a.vocab, (1, 5), generator=g)
        empty = [torch.zeros(1, H, 0, d) for _ in range(2 * L)]
        out = dec(prompt, *empty)
        full = lm(torch.cat([prompt, prompt[:, :1]], 1))[0][:, -1]
        step = dec(prompt[:, :1], *out[1:])
        assert torch.allclose(step[0], full, atol=1e-4), float((step[0] - full).abs().max())

    info = {
        "config": c,
        "seed": a.seed,
        "inputs": {"input_ids": ["int64", [1, "sequence"]],
                   "past_key_values.{i}.key|value": ["float32", [1, H, "past_sequence", d]]},
        "outputs": {"logits": ["float32", [1, a.vocab]],
                    "present.{i}.key|value": ["float32", [1, H, "total_sequence", d]]},
        "layers": L,
        "opset": 14,
        "torch": torch.__version__,
        "export_seconds": round(t_onnx, 1),
        "safetensors_seconds": round(t_st, 1),
        "onnx_bytes": os.path.getsize(path),
        "safetensors_bytes": os.path.getsize(os.path.join(a.out, "model.safetensors")),
    }
    with open(os.path.join(a.out, "export.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"wrote {a.out}: model.onnx {info['onnx_bytes'] / 2**20:.1f} MiB in {t_onnx:.1f} s, "
          f"model.safetensors {info['safetensors_bytes'] / 2**20:.1f} MiB in {t_st:.1f} s")


if __name__ == "__main__":
    main()
