#!/usr/bin/python3
"""Independent reference for src/models/bert.ts: a tiny BERT written in plain
torch.nn (PyTorch 1.13, Debian's python3-torch; no transformers package) with
Hugging Face BertForPreTraining's parameter names, seeded random weights, and
its outputs on a small padded batch.

Writes tests/fixtures/bert/ (a BertForPreTraining-style checkpoint, 2 layers, erf GELU, F32):
  config.json        Hugging Face-style config
  model.safetensors  weights, F32 (plus the I64 buffer `bert.embeddings.position_ids`
                     that older checkpoints carry), the safetensors file written by
                     hand: u64 header length, JSON header, raw little-endian data
  expected.json      inputs (ids, token types, attention mask with padding) and
                     outputs (last hidden state, pooler output, MLM logits), flat

and tests/fixtures/bert/tanh-f16-*: a 1-layer BertModel-style checkpoint (keys
without `bert.`, old TF-style `LayerNorm.gamma/beta` names, weights stored as F16)
with hidden_act 'gelu_new' (tanh GELU) and layer_norm_eps 1e-5, run without
token types and without attention mask; the reference computes with the
F16-rounded weights.

and tests/fixtures/bert/grad-*: a 2-layer model with 96 positions, a padded batch
of 2 × 80 tokens and masked-LM labels on ~15% of the positions: the mean
cross-entropy over the labelled positions and its gradient with respect to every
parameter (tied decoder included), so the backward is checked on sequences longer
than the kernels' blocks.

Run: /usr/bin/python3 scripts/bert-fixture.py
"""
import json
import math
import os
import struct

import torch
from torch import nn

CONFIG = {
    "architectures": ["BertForPreTraining"],
    "model_type": "bert",
    "vocab_size": 50,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 16,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "bert")


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        e = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(types)
        return self.dropout(self.LayerNorm(e))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, additive_mask):
        B, S, H = x.shape
        d = H // self.heads

        def split(t):
            return t.view(B, S, self.heads, d).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive_mask
        p = self.dropout(torch.softmax(scores, dim=-1))
        return (p @ v).permute(0, 2, 1, 3).reshape(B, S, H)


class DenseNorm(nn.Module):
    """`dense` + dropout + residual + `LayerNorm` (attention.output and output)."""

    def __init__(self, n_in, c):
        super().__init__()
        self.dense = nn.Linear(n_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c["hidden_size"], c)

    def forward(self, x, m):
        return self.output(self.self(x, m), x)


def act(c, x):
    # 'gelu' is the erf form; 'gelu_new' / 'gelu_pytorch_tanh' the tanh approximation
    return nn.functional.gelu(x, approximate="none" if c["hidden_act"] == "gelu" else "tanh")


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return act(self.c, self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c["intermediate_size"], c)

    def forward(self, x, m):
        a = self.attention(x, m)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, m):
        for l in self.layer:
            x = l(x, m)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, ids, types, mask):
        # Hugging Face's extended mask: 0 for real keys, the most negative float for padding.
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.encoder(self.embeddings(ids, types), additive)
        return h, self.pooler(h)


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h):
        return self.LayerNorm(act(self.c, self.dense(h)))


class Predictions(nn.Module):
    def __init__(self, c, word_embeddings):
        super().__init__()
        self.transform = Transform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.decoder.weight = word_embeddings.weight  # tied
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, h):
        return self.decoder(self.transform(h)) + self.bias


class Cls(nn.Module):
    def __init__(self, c, word_embeddings):
        super().__init__()
        self.predictions = Predictions(c, word_embeddings)


class BertForPreTrainingLike(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.cls = Cls(c, self.bert.embeddings.word_embeddings)

    def forward(self, ids, types, mask):
        h, pooled = self.bert(ids, types, mask)
        return h, pooled, self.cls.predictions(h)


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor); F32 or I64 little-endian, in order."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous()
        if t.dtype == torch.float32:
            dtype, fmt = "F32", "<%df"
        elif t.dtype == torch.float16:
            dtype, fmt = "F16", "<%de"
        elif t.dtype == torch.int64:
            dtype, fmt = "I64", "<%dq"
        else:
            raise ValueError(t.dtype)
        flat = t.reshape(-1).tolist()
        blob = struct.pack(fmt % len(flat), *flat)
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


def randomize(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            # std 0.2 everywhere so activations are not trivial; LayerNorm gains around 1
            if name.endswith("LayerNorm.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    model.eval()


def flat(t):
    return [float("%.8g" % x) for x in t.reshape(-1).tolist()]


def tanh_f16():
    c = dict(CONFIG, architectures=["BertModel"], num_hidden_layers=1, hidden_act="gelu_new", layer_norm_eps=1e-5)
    torch.manual_seed(7)
    model = Bert(c)
    randomize(model)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())  # the reference computes with what the F16 file holds
    ids = torch.tensor([[2, 31, 4, 9, 3], [2, 44, 17, 1, 3]])
    types = torch.zeros_like(ids)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        h, pooled = model(ids, types, mask)
    tensors = []
    for k, v in model.state_dict().items():
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        tensors.append((k, v.half()))
    write_safetensors(os.path.join(OUT, "tanh-f16-model.safetensors"), tensors)
    with open(os.path.join(OUT, "tanh-f16-config.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT, "tanh-f16-expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": 2, "seq": 5, "inputIds": ids.reshape(-1).tolist(),
                   "lastHiddenState": flat(h), "poolerOutput": flat(pooled)}, f, separators=(",", ":"))
        f.write("\n")


def grad_fixture():
    c = dict(CONFIG, vocab_size=50, hidden_size=16, num_attention_heads=2, intermediate_size=32, max_position_embeddings=96)
    torch.manual_seed(11)
    model = BertForPreTrainingLike(c)
    randomize(model)  # eval mode: no dropout
    B, S = 2, 80
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(5, 50, (B, S), generator=g)
    ids[:, 0] = 2
    ids[0, S - 14] = 3
    ids[0, S - 13:] = 0
    ids[1, S - 1] = 3
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    types[1, 40:] = 1
    labels = torch.full((B, S), -100)
    pick = (torch.rand((B, S), generator=g) < 0.15) & (mask == 1) & (ids > 4)
    labels[pick] = ids[pick]
    ids = torch.where(pick & (torch.rand((B, S), generator=g) < 0.8), torch.full_like(ids, 4), ids)
    _, _, logits = model(ids, types, mask)
    loss = nn.functional.cross_entropy(logits.reshape(-1, c["vocab_size"]), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    tensors = [(k, v) for k, v in model.state_dict().items()]
    write_safetensors(os.path.join(OUT, "grad-model.safetensors"), tensors)
    with open(os.path.join(OUT, "grad-config.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    grads = {n: flat(p.grad) for n, p in model.named_parameters() if p.grad is not None}  # the pooler is not in the MLM loss
    with open(os.path.join(OUT, "grad-expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": B, "seq": S, "inputIds": ids.reshape(-1).tolist(),
                   "tokenTypeIds": types.reshape(-1).tolist(), "attentionMask": mask.reshape(-1).tolist(),
                   "labels": labels.reshape(-1).tolist(), "loss": float(loss), "grads": grads}, f, separators=(",", ":"))
        f.write("\n")
    print("grad fixture: loss", float(loss), "labelled", int(pick.sum()), "params", len(grads))


def main():
    torch.manual_seed(20261125)
    model = BertForPreTrainingLike(CONFIG)
    randomize(model)

    # batch 0: [CLS] a b [SEP] c d [SEP] + padding (type 1 for the second segment); batch 1: full length 8
    ids = torch.tensor([[2, 11, 17, 3, 23, 42, 3, 0], [2, 5, 49, 8, 30, 12, 7, 3]])
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        h, pooled, logits = model(ids, types, mask)

    os.makedirs(OUT, exist_ok=True)
    sd = model.state_dict()  # includes the tied cls.predictions.decoder.weight, as Hugging Face saves it
    tensors = [(k, v) for k, v in sd.items()]
    tensors.append(("bert.embeddings.position_ids", torch.arange(CONFIG["max_position_embeddings"]).unsqueeze(0)))
    write_safetensors(os.path.join(OUT, "model.safetensors"), tensors)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")

    expected = {
        "torch": torch.__version__,
        "batch": 2,
        "seq": 8,
        "inputIds": ids.reshape(-1).tolist(),
        "tokenTypeIds": types.reshape(-1).tolist(),
        "attentionMask": mask.reshape(-1).tolist(),
        "lastHiddenState": flat(h),
        "poolerOutput": flat(pooled),
        "logits": flat(logits),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    tanh_f16()
    grad_fixture()
    print("wrote", OUT, "keys", len(tensors), "max |logit|", float(logits.abs().max()))


if __name__ == "__main__":
    main()
