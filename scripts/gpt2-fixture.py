#!/usr/bin/python3
"""Independent reference for src/models/gpt (GPT2Model, GPT2LMHeadModel): GPT-2
written in plain torch.nn (PyTorch 1.13, Debian's python3-torch; no transformers
package) with the parameter names and layouts of Hugging Face's GPT2LMHeadModel
state dict, seeded random weights, its logits and greedy continuations.

The model: token + learned position embeddings, pre-LN blocks (ln_1, attention
with the fused `c_attn` projection, causal softmax, `c_proj`; ln_2, `mlp.c_fc`,
the activation, `mlp.c_proj`), `ln_f`, logits = h · wteᵀ. Projections are
Hugging Face's Conv1D: y = x @ W + b with W stored [in, out]. The attention takes
an optional key-padding mask and past keys / values (positions continue after
them), so scripts/gpt2-onnx.py exports the same module as a decoder with a cache.

Writes tests/fixtures/gpt2/<case>/ for two cases:
  tiny   vocab 173, 32 positions, width 32, 2 layers, 4 heads, n_inner null (4 D),
         gelu_new (tanh form), eps 1e-5. model.safetensors: keys with the
         `transformer.` prefix plus the causal-mask buffers `transformer.h.{i}.attn.bias`
         ([1, 1, 32, 32] float, as old checkpoints hold) and `.attn.masked_bias`
         (a scalar); model-f16.safetensors: keys without the prefix.
  inner  vocab 97, 32 positions, width 24, 2 layers, 3 heads, n_inner 40, 'gelu'
         (erf), eps 1e-5. model.safetensors: keys without the prefix (as the hub's
         gpt2 checkpoints); model-f16.safetensors: keys with it.
Files per case:
  config.json            Hugging Face GPT2Config keys
  model.safetensors      F32 weights (written by hand: u64 header length, JSON header,
                         raw little-endian data)
  model-f16.safetensors  the same weights rounded to F16
  case.json              inputs: ids [2, 13]; a right-padded batch [2, 13] with its
                         attention mask (row 1 has 9 real tokens); a prompt and its 20
                         greedy tokens (argmax, ties to the lowest id; stops after
                         eos_token_id, as Hugging Face's generate) for the F32 and the
                         F16 weights, and the smallest top-1 / top-2 logit gap on the way
  logits.safetensors     F32: `logits` [2, 13, V] and `last_hidden_state` [2, 13, D]
                         of the F32 weights, `logits_f16` [2, 13, V] of the F16-rounded
                         weights, `padded_logits` [2, 13, V] of the padded batch
                         (meaningful at its real positions only)
The reference runs in float64 with the float32 (or F16-rounded) weights, so it is
the exact value of what the files hold, up to float64 rounding.

Run: /usr/bin/python3 scripts/gpt2-fixture.py
"""
import json
import math
import os
import struct

import torch
from torch import nn

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gpt2"))


def gpt2_config(**kw):
    """A Hugging Face GPT2Config dict (its defaults are gpt2's, the 124M model)."""
    c = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": 50257,
        "n_positions": 1024,
        "n_embd": 768,
        "n_layer": 12,
        "n_head": 12,
        "n_inner": None,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
    }
    c.update(kw)
    return c


class Conv1D(nn.Module):
    """Hugging Face's Conv1D: y = x @ weight + bias, weight [n_in, n_out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_embd, self.n_head = c["n_embd"], c["n_head"]
        self.c_attn = Conv1D(self.n_embd, 3 * self.n_embd)
        self.c_proj = Conv1D(self.n_embd, self.n_embd)

    def forward(self, x, key_mask=None, past=None):
        """x [B, S, D]; key_mask [B, past + S] (1 = real) or None; past (k, v) [B, H, P, D/H] or None.
        Returns y [B, S, D] and the present (k, v) [B, H, P + S, D/H]."""
        B, S = x.shape[0], x.shape[1]
        D, H = self.n_embd, self.n_head
        d = D // H
        q, k, v = self.c_attn(x).split(D, dim=2)

        def heads(t):
            return t.reshape(B, S, H, d).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        T = k.shape[2]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        # query i (absolute position T - S + i) sees keys 0 .. T - S + i
        allowed = torch.arange(T).view(1, T) <= (torch.arange(S) + (T - S)).view(S, 1)
        allowed = allowed.view(1, 1, S, T)
        if key_mask is not None:
            allowed = allowed & key_mask.bool().view(B, 1, 1, T)
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, S, D)
        return self.c_proj(y), (k, v)


def activation(name, x):
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    if name == "gelu":
        return nn.functional.gelu(x)  # the erf form
    if name == "relu":
        return torch.relu(x)
    raise ValueError(name)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c["n_inner"] if c["n_inner"] is not None else 4 * c["n_embd"]
        self.act = c["activation_function"]
        self.c_fc = Conv1D(c["n_embd"], inner)
        self.c_proj = Conv1D(inner, c["n_embd"])

    def forward(self, x):
        return self.c_proj(activation(self.act, self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.attn = Attention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.mlp = MLP(c)

    def forward(self, x, key_mask=None, past=None):
        a, present = self.attn(self.ln_1(x), key_mask, past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


class GPT2(nn.Module):
    """Hugging Face GPT2Model's names: wte, wpe, h.{i}, ln_f."""

    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList([Block(c) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, ids, key_mask=None, past=None):
        """ids [B, S]; past: one (k, v) per layer or None. Returns ln_f(h) [B, S, D] and the presents."""
        S = ids.shape[1]
        P = 0 if past is None else past[0][0].shape[2]
        pos = (torch.arange(S) + P).view(1, S)
        x = self.wte(ids) + self.wpe(pos)
        presents = []
        for i, block in enumerate(self.h):
            x, present = block(x, key_mask, None if past is None else past[i])
            presents.append(present)
        return self.ln_f(x), presents


class GPT2LMHead(nn.Module):
    """Hugging Face GPT2LMHeadModel's names: `transformer.*`; the output layer is tied to wte (not stored)."""

    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2(c)

    def forward(self, ids, key_mask=None, past=None):
        h, presents = self.transformer(ids, key_mask, past)
        return h @ self.transformer.wte.weight.t(), h, presents


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor) in F32 or F16, little-endian, in order."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous()
        if t.dtype == torch.float32:
            dtype, np_dtype = "F32", "<f4"
        elif t.dtype == torch.float16:
            dtype, np_dtype = "F16", "<f2"
        else:
            raise ValueError(t.dtype)
        blob = t.numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # pad the header to 8 bytes, as the safetensors package does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_config(path, c):
    with open(path, "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")


def randomize(model):
    """N(0, 0.2²) everywhere (biases and position table included) so logits are not flat; LayerNorm gains 1 + N(0, 0.2²)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    return model.eval()


def hf_tensors(model, prefix, dtype, n_positions=None):
    """The state dict in Hugging Face's names, with or without `transformer.`; with n_positions, the mask buffers too."""
    out = []
    for k, v in model.state_dict().items():
        if not prefix:
            k = k[len("transformer."):]
        out.append((k, v.to(dtype)))
        if n_positions is not None and k.endswith("attn.c_proj.bias"):
            base = k[: -len("c_proj.bias")]
            mask = torch.tril(torch.ones(n_positions, n_positions)).view(1, 1, n_positions, n_positions)
            out.append((base + "bias", mask.to(dtype)))
            out.append((base + "masked_bias", torch.tensor(-1e4, dtype=dtype)))
    return out


def greedy(model, prompt, n, eos):
    """n greedy tokens after prompt (full recompute each step), stopping after eos; and the smallest top-1 / top-2 gap."""
    ids = list(prompt)
    out, gap = [], math.inf
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([ids]))[0][0, -1]
            top = torch.topk(logits, 2).values
            gap = min(gap, float(top[0] - top[1]))
            t = int(torch.argmax(logits))  # the first maximal index: ties go to the lowest id
            out.append(t)
            ids.append(t)
            if t == eos:
                break
    return out, gap


def f32(t):
    return t.detach().to(torch.float32)


def build_case(name, c, seed, prefix_f32, prompt_seed):
    torch.manual_seed(seed)
    model = randomize(GPT2LMHead(c))  # float32 weights: what model.safetensors holds
    model_f16 = GPT2LMHead(c)
    model_f16.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    model_f16.eval()
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    write_config(os.path.join(out, "config.json"), c)
    write_safetensors(
        os.path.join(out, "model.safetensors"),
        hf_tensors(model, prefix_f32, torch.float32, c["n_positions"] if name == "tiny" else None),
    )
    write_safetensors(os.path.join(out, "model-f16.safetensors"), hf_tensors(model, not prefix_f32, torch.float16))

    # the reference in float64 from the stored values
    model.double()
    model_f16.double()
    V, eos = c["vocab_size"], c["eos_token_id"]
    # seeds picked so that the greedy run visits several tokens with no near-tie (gap > 1e-2)
    prompt = torch.randint(0, V - 1, (6,), generator=torch.Generator().manual_seed(prompt_seed)).tolist()
    g = torch.Generator().manual_seed(seed)
    B, S, real = 2, 13, 9
    ids = torch.randint(0, V - 1, (B, S), generator=g)  # below eos: the last id
    padded = ids.clone()
    padded[1, real:] = eos  # padding with eos, as GPT-2 users do
    mask = torch.ones(B, S, dtype=torch.int64)
    mask[1, real:] = 0
    with torch.no_grad():
        logits, hidden, _ = model(ids)
        logits_f16, _, _ = model_f16(ids)
        padded_logits, _, _ = model(padded, mask)
        # the padded row's real positions equal the unpadded row's
        alone, _, _ = model(padded[1:, :real])
        assert torch.allclose(padded_logits[1, :real], alone[0], atol=1e-9), "padding leaks into real positions"
    tokens, gap = greedy(model, prompt, 20, eos)
    tokens_f16, gap_f16 = greedy(model_f16, prompt, 20, eos)
    write_safetensors(
        os.path.join(out, "logits.safetensors"),
        [("logits", f32(logits)), ("last_hidden_state", f32(hidden)), ("logits_f16", f32(logits_f16)),
         ("padded_logits", f32(padded_logits))],
    )
    case = {
        "torch": torch.__version__,
        "batch": B,
        "seq": S,
        "inputIds": ids.reshape(-1).tolist(),
        "paddedInputIds": padded.reshape(-1).tolist(),
        "attentionMask": mask.reshape(-1).tolist(),
        "prompt": prompt,
        "greedy": tokens,
        "greedyF16": tokens_f16,
        "greedyMinGap": gap,
        "greedyF16MinGap": gap_f16,
    }
    with open(os.path.join(out, "case.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: max |logit| {float(logits.abs().max()):.3f}, greedy {tokens} (min gap {gap:.2e}), "
          f"f16 {tokens_f16} (min gap {gap_f16:.2e}), f16 vs f32 logits {float((logits - logits_f16).abs().max()):.2e}")


def main():
    tiny = gpt2_config(vocab_size=173, n_positions=32, n_embd=32, n_layer=2, n_head=4, n_inner=None,
                       activation_function="gelu_new", bos_token_id=172, eos_token_id=172)
    inner = gpt2_config(vocab_size=97, n_positions=32, n_embd=24, n_layer=2, n_head=3, n_inner=40,
                        activation_function="gelu", bos_token_id=96, eos_token_id=96)
    build_case("tiny", tiny, 100, True, 0)
    build_case("inner", inner, 101, False, 1)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print("wrote", OUT, f"{total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
