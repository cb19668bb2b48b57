#!/usr/bin/python3
"""PyTorch side of `npm run bench -- trainSpeed`: the teacher architecture
(BERT, 4 layers, hidden 256, 4 heads, FFN 1024, vocab and labels as given),
AdamW, batches of the given token-id rows (the same length-grouped, padded
batches the TypeScript Trainer builds, read from a JSON file), N threads.
Prints one JSON line: {"secondsPerStep": ..., "steps": ..., "threads": ...}.

usage: train_speed.py BATCHES.json THREADS [VOCAB LABELS]
"""
import json, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

batches_file, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
spec = json.load(open(batches_file))
V, C, H, L, NH, FF, P = spec["vocab"], spec["labels"], 256, 4, 4, 1024, 64


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.f1, self.f2 = nn.Linear(H, FF), nn.Linear(FF, H)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):
        b, s, _ = x.shape
        d = H // NH
        split = lambda t: t.view(b, s, NH, d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        probs = self.drop(((q @ k.transpose(-1, -2)) / math.sqrt(d) + bias).softmax(-1))
        ctx = (probs @ v).transpose(1, 2).reshape(b, s, H)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.f2(F.gelu(self.f1(x)))))


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.types = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.pool, self.cls = nn.Linear(H, H), nn.Linear(H, C)
        self.drop = nn.Dropout(0.1)

    def forward(self, ids, mask):
        b, s = ids.shape
        x = self.word(ids) + self.pos(torch.arange(s)[None, :]) + self.types(torch.zeros_like(ids))
        x = self.drop(self.ln(x))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(self.drop(torch.tanh(self.pool(x[:, 0]))))


model = Bert()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
data = [(torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]), torch.tensor(b["labels"])) for b in spec["batches"]]


def step(ids, mask, labels):
    opt.zero_grad()
    loss = F.cross_entropy(model(ids, mask), labels, label_smoothing=0.1)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


model.train()
step(*data[0])  # warm-up
start = time.perf_counter()
for b in data:
    step(*b)
elapsed = time.perf_counter() - start
print(json.dumps({"secondsPerStep": elapsed / len(data), "steps": len(data), "threads": threads, "torch": torch.__version__}))
