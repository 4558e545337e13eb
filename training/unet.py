"""Jansson et al. (ISMIR 2017) singing-voice U-Net, parameterised.

PyTorch layout is NCHW = [B, C, F(bins), T(frames)]. The layer names and the
TensorFlow-'same' padding semantics follow the weights contract shared with the
TypeScript/tfjs side (see training/README.md):

  enc{i}_conv  Conv 5x5 stride 2, TF 'same' (pad 1 before / 2 after), bias
  enc{i}_bn    BatchNorm eps 1e-3 (Keras momentum 0.99), then LeakyReLU(0.2)
  dec{i}_deconv ConvTranspose 5x5 stride 2, TF 'same' (full output cropped [1:1+2n])
  dec{i}_bn    BatchNorm eps 1e-3, ReLU, Dropout(0.5) for i <= 3   (i < depth)
  dec{depth}   -> sigmoid = mask;  output = mask * input
  skip: input of dec{i} (i >= 2) = cat([dec{i-1}, enc{depth+1-i}], channel)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    bins: int = 512
    frames: int = 128
    baseFilters: int = 16
    depth: int = 6
    channelsIn: int = 1

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def from_dict(d):
        return UNetConfig(**{k: int(d[k]) for k in ("bins", "frames", "baseFilters", "depth", "channelsIn")})

    def validate(self):
        m = 2 ** self.depth
        if self.bins % m or self.frames % m:
            raise ValueError(f"bins and frames must be multiples of 2^depth={m}: {self}")


JANSSON = UNetConfig()


def bn(c):
    # Keras BatchNormalization(momentum=0.99, epsilon=1e-3) == PyTorch momentum 0.01
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class SameConv(nn.Module):
    """5x5 stride-2 conv with TensorFlow 'same' padding for even input sizes."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 5, stride=2, padding=0, bias=True)

    def forward(self, x):
        h, w = x.shape[-2:]
        # TF: total pad = max((ceil(n/2)-1)*2 + 5 - n, 0); before = total//2
        def pads(n):
            out = -(-n // 2)
            tot = max((out - 1) * 2 + 5 - n, 0)
            return tot // 2, tot - tot // 2
        ph, pw = pads(h), pads(w)
        x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
        return self.conv(x)


class SameDeconv(nn.Module):
    """5x5 stride-2 transposed conv with TensorFlow 'same' semantics (output 2n)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=0, bias=True)

    def forward(self, x):
        h, w = x.shape[-2:]
        y = self.deconv(x)  # 2n + 3
        return y[..., 1:1 + 2 * h, 1:1 + 2 * w]


class UNet(nn.Module):
    def __init__(self, cfg: UNetConfig = JANSSON):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        d, b = cfg.depth, cfg.baseFilters
        enc_ch = [b * 2 ** (i - 1) for i in range(1, d + 1)]
        self.enc_conv = nn.ModuleList()
        self.enc_bn = nn.ModuleList()
        cin = cfg.channelsIn
        for c in enc_ch:
            self.enc_conv.append(SameConv(cin, c))
            self.enc_bn.append(bn(c))
            cin = c
        self.dec_deconv = nn.ModuleList()
        self.dec_bn = nn.ModuleList()
        for i in range(1, d + 1):
            cout = b * 2 ** (d - 1 - i) if i < d else cfg.channelsIn
            if i == 1:
                cin = enc_ch[-1]
            else:
                cin = (b * 2 ** (d - i)) + enc_ch[d - i]  # dec{i-1} out + enc{depth+1-i} out
            self.dec_deconv.append(SameDeconv(cin, cout))
            if i < d:
                self.dec_bn.append(bn(cout))
        self.dropout = nn.Dropout(0.5)

    def mask(self, x):
        d = self.cfg.depth
        skips = []
        h = x
        for conv, norm in zip(self.enc_conv, self.enc_bn):
            h = F.leaky_relu(norm(conv(h)), 0.2)
            skips.append(h)
        h = skips[-1]
        for i in range(1, d + 1):
            if i >= 2:
                h = torch.cat([h, skips[d - i]], dim=1)
            h = self.dec_deconv[i - 1](h)
            if i < d:
                h = F.relu(self.dec_bn[i - 1](h))
                if i <= 3:
                    h = self.dropout(h)
        return torch.sigmoid(h)

    def forward(self, x):
        return self.mask(x) * x

    # ---- name mapping for the tfjs export ------------------------------------------------
    def named_tfjs_tensors(self):
        """[(tfjs name, tensor in tfjs layout)] in the manifest order."""
        out = []
        for i, (conv, norm) in enumerate(zip(self.enc_conv, self.enc_bn), start=1):
            out.append((f"enc{i}_conv/kernel", conv.conv.weight.detach().permute(2, 3, 1, 0)))
            out.append((f"enc{i}_conv/bias", conv.conv.bias.detach()))
            out += _bn_tensors(f"enc{i}_bn", norm)
        for i, dc in enumerate(self.dec_deconv, start=1):
            out.append((f"dec{i}_deconv/kernel", dc.deconv.weight.detach().permute(2, 3, 1, 0)))
            out.append((f"dec{i}_deconv/bias", dc.deconv.bias.detach()))
            if i < self.cfg.depth:
                out += _bn_tensors(f"dec{i}_bn", self.dec_bn[i - 1])
        return [(n, t.contiguous().float()) for n, t in out]

    def load_tfjs_tensors(self, tensors: dict):
        """Inverse of named_tfjs_tensors (tensors: name -> torch tensor in tfjs layout)."""
        with torch.no_grad():
            for i, (conv, norm) in enumerate(zip(self.enc_conv, self.enc_bn), start=1):
                conv.conv.weight.copy_(tensors[f"enc{i}_conv/kernel"].permute(3, 2, 0, 1))
                conv.conv.bias.copy_(tensors[f"enc{i}_conv/bias"])
                _load_bn(f"enc{i}_bn", norm, tensors)
            for i, dc in enumerate(self.dec_deconv, start=1):
                dc.deconv.weight.copy_(tensors[f"dec{i}_deconv/kernel"].permute(3, 2, 0, 1))
                dc.deconv.bias.copy_(tensors[f"dec{i}_deconv/bias"])
                if i < self.cfg.depth:
                    _load_bn(f"dec{i}_bn", self.dec_bn[i - 1], tensors)


def _bn_tensors(prefix, norm):
    return [
        (f"{prefix}/gamma", norm.weight.detach()),
        (f"{prefix}/beta", norm.bias.detach()),
        (f"{prefix}/moving_mean", norm.running_mean.detach()),
        (f"{prefix}/moving_variance", norm.running_var.detach()),
    ]


def _load_bn(prefix, norm, t):
    norm.weight.copy_(t[f"{prefix}/gamma"])
    norm.bias.copy_(t[f"{prefix}/beta"])
    norm.running_mean.copy_(t[f"{prefix}/moving_mean"])
    norm.running_var.copy_(t[f"{prefix}/moving_variance"])


def count_params(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    m = UNet()
    print(json.dumps(m.cfg.to_dict()), count_params(m), "params")
    x = torch.rand(2, 1, 512, 128)
    print(m(x).shape)
