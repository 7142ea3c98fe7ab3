"""PyTorch reference fixtures for the sequence layers of @gd/nn.

Run with PyTorch 1.13 (`/usr/bin/python3 packages/nn/scripts/torch-fixtures.py`). For each case
it builds the layer in float64 with a fixed seed (parameters then moved off their initial values
by a seeded perturbation, so a weight read in the wrong place or a copied layer shows), runs it on
seeded inputs, and writes two safetensors files to test/fixtures/torch:

- `<case>.safetensors`: the layer's state_dict, under PyTorch's keys;
- `<case>.data.safetensors`: `input.*`, `output.*`, the fixed random tensors `weight.*`, and the
  gradients of sum_k (output_k * weight_k).sum() with respect to every float input
  (`grad.input.*`) and every parameter (`grad.param.*`).

Both carry the case's description in the metadata under `config`: the gd layer, its constructor
arguments and options (camelCase, as gd names them), and the forward call, where a string names
an input. Boolean masks are stored as I64 0/1 (1 = not allowed), as gd takes them as int32.
"""

import json
import os
import struct

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')
DTYPES = {torch.float64: 'F64', torch.int64: 'I64'}


def save(path, tensors, metadata):
    """The safetensors format: u64 header length, JSON header (padded to 8 bytes), raw bytes."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.bool:
            t = t.to(torch.int64)
        data = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        f.write(b''.join(blobs))


def randn(*shape):
    return torch.randn(*shape)


def case(name, config, make, inputs, run):
    """Builds the layer (seed 0), runs `run(module, inputs)` → [(output name, tensor | None)]."""
    torch.manual_seed(0)
    module = make()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn_like(p))
    module.train()
    ins = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    outs = run(module, ins)
    gen = torch.Generator().manual_seed(1)
    loss = 0
    weights = {}
    for k, o in outs:
        if o is None:
            continue
        w = torch.randn(o.shape, generator=gen)
        weights[f'weight.{k}'] = w
        loss = loss + (o * w).sum()
    loss.backward()
    meta = {'config': json.dumps({**config, 'outputs': [k for k, _ in outs]})}
    save(os.path.join(OUT, f'{name}.safetensors'), dict(module.state_dict()), meta)
    data = {f'input.{k}': v for k, v in inputs.items()}
    data.update({f'output.{k}': o for k, o in outs if o is not None})
    data.update(weights)
    data.update({f'grad.input.{k}': v.grad for k, v in ins.items() if v.grad is not None})
    data.update({f'grad.param.{k}': p.grad for k, p in module.named_parameters()})
    save(os.path.join(OUT, f'{name}.data.safetensors'), data, meta)


def causal(n):
    return torch.ones(n, n, dtype=torch.bool).triu(1)


def sdpa_reference(q, k, v, mask=None):
    """softmax(q·kᵀ/√d + mask)·v, written out."""
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = scores + mask if mask.is_floating_point() else scores.masked_fill(mask, float('-inf'))
    return scores.softmax(-1) @ v


class SDPA(nn.Module):
    def __init__(self, causal_mask):
        super().__init__()
        self.causal_mask = causal_mask

    def forward(self, q, k, v, mask=None):
        return sdpa_reference(q, k, v, causal(q.shape[-2]) if self.causal_mask else mask)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(123)

    # ── scaled dot-product attention ──
    case('sdpa_float_mask', {'layer': 'scaledDotProductAttention', 'call': {'args': ['q', 'k', 'v'], 'options': {'attnMask': 'mask'}}},
         lambda: SDPA(False), {'q': randn(2, 2, 3, 4), 'k': randn(2, 2, 5, 4), 'v': randn(2, 2, 5, 6), 'mask': randn(3, 5)},
         lambda m, i: [('out', m(i['q'], i['k'], i['v'], i['mask']))])
    case('sdpa_causal', {'layer': 'scaledDotProductAttention', 'call': {'args': ['q', 'k', 'v'], 'options': {'isCausal': True}}},
         lambda: SDPA(True), {'q': randn(2, 4, 3), 'k': randn(2, 4, 3), 'v': randn(2, 4, 2)},
         lambda m, i: [('out', m(i['q'], i['k'], i['v']))])

    # ── MultiheadAttention ──
    case('mha_seq_first', {'layer': 'MultiheadAttention', 'args': [8, 2], 'options': {},
                           'call': {'args': ['query', 'key', 'value'], 'options': {'attnMask': 'attn_mask'}}},
         lambda: nn.MultiheadAttention(8, 2),
         {'query': randn(3, 2, 8), 'key': randn(4, 2, 8), 'value': randn(4, 2, 8), 'attn_mask': 0.5 * randn(3, 4)},
         lambda m, i: list(zip(['out', 'weights'], m(i['query'], i['key'], i['value'], attn_mask=i['attn_mask']))))
    kpm = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 0, 0, 0]], dtype=torch.bool)
    case('mha_batch_first_self', {'layer': 'MultiheadAttention', 'args': [8, 2], 'options': {'batchFirst': True},
                                  'call': {'args': ['x', 'x', 'x'],
                                           'options': {'keyPaddingMask': 'key_padding_mask', 'averageAttnWeights': False}}},
         lambda: nn.MultiheadAttention(8, 2, batch_first=True),
         {'x': randn(2, 5, 8), 'key_padding_mask': kpm},
         lambda m, i: list(zip(['out', 'weights'], m(i['x'], i['x'], i['x'], key_padding_mask=i['key_padding_mask'],
                                                     average_attn_weights=False))))
    case('mha_kdim_vdim', {'layer': 'MultiheadAttention', 'args': [8, 4], 'options': {'kdim': 5, 'vdim': 6, 'batchFirst': True},
                           'call': {'args': ['query', 'key', 'value'], 'options': {'attnMask': 'attn_mask'}}},
         lambda: nn.MultiheadAttention(8, 4, kdim=5, vdim=6, batch_first=True),
         {'query': randn(2, 3, 8), 'key': randn(2, 4, 5), 'value': randn(2, 4, 6),
          'attn_mask': torch.tensor([[0, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)},
         lambda m, i: list(zip(['out', 'weights'], m(i['query'], i['key'], i['value'], attn_mask=i['attn_mask']))))
    case('mha_causal_no_bias', {'layer': 'MultiheadAttention', 'args': [8, 2], 'options': {'bias': False},
                                'call': {'args': ['x', 'x', 'x'], 'options': {'isCausal': True, 'needWeights': False}}},
         lambda: nn.MultiheadAttention(8, 2, bias=False),
         {'x': randn(4, 2, 8)},
         lambda m, i: list(zip(['out', 'weights'], m(i['x'], i['x'], i['x'], attn_mask=causal(4), need_weights=False))))

    mask3 = torch.rand(2 * 2, 3, 4) > 0.6
    mask3[:, :, 0] = False
    case('mha_3d_mask', {'layer': 'MultiheadAttention', 'args': [8, 2], 'options': {},
                         'call': {'args': ['query', 'key', 'value'], 'options': {'attnMask': 'attn_mask'}}},
         lambda: nn.MultiheadAttention(8, 2),
         {'query': randn(3, 2, 8), 'key': randn(4, 2, 8), 'value': randn(4, 2, 8), 'attn_mask': mask3},
         lambda m, i: list(zip(['out', 'weights'], m(i['query'], i['key'], i['value'], attn_mask=i['attn_mask']))))

    # ── Transformer encoder ──
    case('encoder_layer_post_relu', {'layer': 'TransformerEncoderLayer', 'args': [8, 2],
                                     'options': {'dimFeedforward': 16, 'dropout': 0},
                                     'call': {'args': ['src'], 'options': {'srcKeyPaddingMask': 'src_key_padding_mask'}}},
         lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
         {'src': randn(5, 2, 8), 'src_key_padding_mask': kpm},
         lambda m, i: [('out', m(i['src'], src_key_padding_mask=i['src_key_padding_mask']))])
    case('encoder_layer_pre_gelu', {'layer': 'TransformerEncoderLayer', 'args': [8, 2],
                                    'options': {'dimFeedforward': 16, 'dropout': 0, 'activation': 'gelu', 'normFirst': True,
                                                'batchFirst': True, 'layerNormEps': 1e-6},
                                    'call': {'args': ['src'], 'options': {'isCausal': True}}},
         lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation='gelu', norm_first=True,
                                            batch_first=True, layer_norm_eps=1e-6),
         {'src': randn(2, 5, 8)},
         lambda m, i: [('out', m(i['src'], src_mask=causal(5)))])
    case('encoder_two_layers_norm', {'layer': 'TransformerEncoder', 'args': [8, 2],
                                     'options': {'dimFeedforward': 16, 'dropout': 0, 'batchFirst': True, 'numLayers': 2, 'norm': True},
                                     'call': {'args': ['src'], 'options': {'mask': 'mask', 'srcKeyPaddingMask': 'src_key_padding_mask'}}},
         lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), 2,
                                       norm=nn.LayerNorm(8), enable_nested_tensor=False),
         {'src': randn(2, 4, 8), 'mask': 0.5 * randn(4, 4), 'src_key_padding_mask': torch.tensor([[0, 0, 0, 1], [0, 0, 0, 0]], dtype=torch.bool)},
         lambda m, i: [('out', m(i['src'], mask=i['mask'], src_key_padding_mask=i['src_key_padding_mask']))])

    # ── Transformer decoder ──
    case('decoder_layer_post_relu', {'layer': 'TransformerDecoderLayer', 'args': [8, 2],
                                     'options': {'dimFeedforward': 16, 'dropout': 0},
                                     'call': {'args': ['tgt', 'memory'],
                                              'options': {'tgtIsCausal': True, 'memoryKeyPaddingMask': 'memory_key_padding_mask'}}},
         lambda: nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
         {'tgt': randn(4, 2, 8), 'memory': randn(5, 2, 8), 'memory_key_padding_mask': kpm},
         lambda m, i: [('out', m(i['tgt'], i['memory'], tgt_mask=causal(4), memory_key_padding_mask=i['memory_key_padding_mask']))])
    case('decoder_two_layers_pre_gelu', {'layer': 'TransformerDecoder', 'args': [8, 2],
                                         'options': {'dimFeedforward': 16, 'dropout': 0, 'activation': 'gelu', 'normFirst': True,
                                                     'batchFirst': True, 'numLayers': 2, 'norm': True},
                                         'call': {'args': ['tgt', 'memory'],
                                                  'options': {'tgtMask': 'tgt_mask', 'memoryMask': 'memory_mask',
                                                              'tgtKeyPaddingMask': 'tgt_key_padding_mask'}}},
         lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation='gelu',
                                                                  norm_first=True, batch_first=True), 2, norm=nn.LayerNorm(8)),
         {'tgt': randn(2, 3, 8), 'memory': randn(2, 4, 8), 'tgt_mask': 0.5 * randn(3, 3),
          'memory_mask': torch.tensor([[0, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=torch.bool),
          'tgt_key_padding_mask': torch.tensor([[0, 0, 1], [0, 0, 0]], dtype=torch.bool)},
         lambda m, i: [('out', m(i['tgt'], i['memory'], tgt_mask=i['tgt_mask'], memory_mask=i['memory_mask'],
                                  tgt_key_padding_mask=i['tgt_key_padding_mask']))])

    # ── recurrent layers ──
    def rnn_outputs(names):
        def run(m, i):
            x = i['x']
            if 'c0' in i:
                out, (h, c) = m(x, (i['h0'], i['c0']))
                return [('out', out), ('h', h), ('c', c)]
            if 'h0' in i:
                out, h = m(x, i['h0'])
            else:
                out, h = m(x)
            if isinstance(h, tuple):
                return [('out', out), ('h', h[0]), ('c', h[1])]
            return [('out', out), ('h', h)]
        return run

    case('rnn_tanh_2layer_bidir', {'layer': 'RNN', 'args': [3, 4], 'options': {'numLayers': 2, 'bidirectional': True},
                                   'call': {'args': ['x', 'h0'], 'options': None}},
         lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True), {'x': randn(5, 2, 3), 'h0': randn(4, 2, 4)}, rnn_outputs(None))
    case('rnn_relu_batch_first_no_bias', {'layer': 'RNN', 'args': [3, 4],
                                          'options': {'nonlinearity': 'relu', 'bias': False, 'batchFirst': True},
                                          'call': {'args': ['x'], 'options': None}},
         lambda: nn.RNN(3, 4, nonlinearity='relu', bias=False, batch_first=True), {'x': randn(2, 5, 3)}, rnn_outputs(None))
    case('lstm_2layer_bidir_batch_first', {'layer': 'LSTM', 'args': [3, 4], 'options': {'numLayers': 2, 'bidirectional': True, 'batchFirst': True},
                                           'call': {'args': ['x', ['h0', 'c0']], 'options': None}},
         lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
         {'x': randn(2, 5, 3), 'h0': randn(4, 2, 4), 'c0': randn(4, 2, 4)}, rnn_outputs(None))
    case('lstm_unbatched', {'layer': 'LSTM', 'args': [3, 4], 'options': {}, 'call': {'args': ['x'], 'options': None}},
         lambda: nn.LSTM(3, 4), {'x': randn(5, 3)}, rnn_outputs(None))
    case('gru_2layer_bidir', {'layer': 'GRU', 'args': [3, 4], 'options': {'numLayers': 2, 'bidirectional': True},
                              'call': {'args': ['x', 'h0'], 'options': None}},
         lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True), {'x': randn(5, 2, 3), 'h0': randn(4, 2, 4)}, rnn_outputs(None))
    case('gru_batch_first', {'layer': 'GRU', 'args': [3, 4], 'options': {'batchFirst': True}, 'call': {'args': ['x'], 'options': None}},
         lambda: nn.GRU(3, 4, batch_first=True), {'x': randn(2, 5, 3)}, rnn_outputs(None))


if __name__ == '__main__':
    main()
