"""The masked-LM plateau of a post-norm BERT, in PyTorch (Debian's python3-torch 1.13), as
independent evidence for the recipe of docs/bert.md "Pre-training a small BERT".

Language: each sequence is [CLS] t0 t1 ... [SEP] with t(i+1) = (7 t(i) + 3) mod 50, one [MASK]
per sequence; only the position of the mask (its neighbours) tells the token. The model is the
BERT of scripts/bert-fixture.py (Hugging Face layout, post-norm, erf GELU, tied decoder), no dropout,
AdamW lr 1e-3, weight decay 0.01, batch 32 x 32 tokens. Prints the mean loss per 100 steps for
BERT's initializer_range 0.02 and for 0.1 (2 layers, hidden 64, 2 heads, FFN 128).

Run: /usr/bin/python3 scripts/bert-plateau.py    (about 2 minutes on one idle core)
"""
import importlib.util
import os
import random

import torch

spec = importlib.util.spec_from_file_location("bert_fixture", os.path.join(os.path.dirname(__file__), "bert-fixture.py"))
bf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bf)

S, V, B, STEPS = 32, 55, 32, 600


def run(layers, init_range, seed=1):
    c = dict(bf.CONFIG)
    c.update(vocab_size=V, hidden_size=64, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=128,
             max_position_embeddings=S, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=1e-12,
             hidden_act="gelu", type_vocab_size=2)
    torch.manual_seed(seed)
    m = bf.BertForPreTrainingLike(c)
    for name, p in m.named_parameters():
        if name.endswith("LayerNorm.weight"):
            torch.nn.init.ones_(p)
        elif name.endswith("bias"):
            torch.nn.init.zeros_(p)
        else:
            torch.nn.init.normal_(p, std=init_range)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
    rng = random.Random(3)
    means, acc = [], 0.0
    for it in range(1, STEPS + 1):
        ids, labels = [], []
        for _ in range(B):
            t, s = rng.randrange(50), [2]
            for _ in range(S - 2):
                s.append(5 + t)
                t = (7 * t + 3) % 50
            s.append(3)
            k = 1 + rng.randrange(S - 2)
            lab = [-100] * S
            lab[k], s[k] = s[k], 4
            ids.append(s)
            labels.append(lab)
        ids, labels = torch.tensor(ids), torch.tensor(labels)
        _, _, logits = m(ids, torch.zeros_like(ids), torch.ones_like(ids))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        acc += loss.item()
        if it % 100 == 0:
            means.append(acc / 100)
            acc = 0.0
    return means


if __name__ == "__main__":
    torch.set_num_threads(1)
    for init_range in (0.02, 0.1):
        means = run(2, init_range)
        print(f"layers 2, initializer_range {init_range}: mean loss per 100 steps " + " ".join(f"{x:.3f}" for x in means), flush=True)
