"""RNN, LSTM and GRU operators, and the Transpose/Squeeze/Reshape/Gather/Concat around them that turn
ONNX's time-major outputs back into LayerLab's batch-first ones. A recurrent op becomes a block once
its output is read: every step (return_sequences) or the final state."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import ImportRefused
from .onnx_graph import Dyn, Value

GATES = {"RNN": (0,), "LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2)}  # torch's gate order from ONNX's (iofc, zrh)


@dataclass
class Rnn:
    op: object
    kind: str
    source: Value
    hidden: int
    directions: int
    nonlinearity: str
    w: np.ndarray
    r: np.ndarray
    b: np.ndarray
    block: str | None = None
    sequences: bool | None = None


@dataclass
class RnnParts:
    """What flows between the ops around a recurrent op: its time-major input, its outputs, a picked state."""
    stage: str  # "time-major", "y", "y-swapped", "y-steps", "h", "h-picked", "unused"
    rnns: list = field(default_factory=list)
    value: Value | None = None
    direction: int = 0


def refuse(node, what: str):
    raise ImportRefused(f"operator {node.op_type} (node {node.name[:60]!r}): {what}")


def recurrent(c, node, ins, a):
    x = ins[0]
    if isinstance(x, RnnParts) and x.stage == "y-steps":
        x = RnnParts("time-major", value=materialize(c, x.rnns[-1], True))
    if not isinstance(x, RnnParts) or x.stage != "time-major":
        refuse(node, "its input must be a batch-first [N, T, F] sequence (transposed for ONNX) as torch exports it")
    w, r = ins[1], ins[2]
    b = ins[3] if len(ins) > 3 and ins[3] is not None else None
    if not all(isinstance(t, np.ndarray) for t in (w, r)) or (b is not None and not isinstance(b, np.ndarray)):
        refuse(node, "its weights must be initializers")
    for extra in ins[4:]:
        if extra is not None and not isinstance(extra, Dyn):
            refuse(node, "sequence lengths and initial states are not supported (LayerLab starts from zeros)")
    direction = a.get("direction", "forward")
    if direction not in ("forward", "bidirectional") or a.get("clip") or a.get("layout", 0) or a.get("input_forget", 0):
        refuse(node, "only forward or bidirectional ops without clip, layout or input_forget are supported")
    kind = node.op_type
    acts = [s.lower() for s in a.get("activations", [])]
    defaults = {"RNN": ["tanh"], "LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"]}[kind]
    d = 2 if direction == "bidirectional" else 1
    nonlinearity = acts[0] if kind == "RNN" and acts else "tanh"
    if kind == "RNN" and nonlinearity not in ("tanh", "relu") or kind != "RNN" and acts and acts[:len(defaults)] != defaults:
        refuse(node, f"activations {acts} differ from PyTorch's")
    if kind == "GRU" and a.get("linear_before_reset", 0) != 1:
        refuse(node, "PyTorch's GRU applies the reset gate after the linear map (linear_before_reset = 1)")
    hidden = int(a.get("hidden_size", r.shape[-1]))
    gates = len(GATES[kind])
    b = b if b is not None else np.zeros((d, 2 * gates * hidden), np.float32)
    rnn = Rnn(node, kind, x.value, hidden, d, nonlinearity, w, r, b)
    c.values[node.output[0]] = RnnParts("y", [rnn])
    if len(node.output) > 1 and node.output[1]:
        c.values[node.output[1]] = RnnParts("h", [rnn])
    if len(node.output) > 2 and node.output[2]:
        c.values[node.output[2]] = RnnParts("unused", [rnn])


def materialize(c, rnn: Rnn, sequences: bool) -> Value:
    if rnn.block is not None:
        if rnn.sequences != sequences:
            refuse(rnn.op, "both its steps and its final state are read; a LayerLab block gives one of them")
        return Value(rnn.block, 2 if sequences else 1)
    params = {"hidden_size": rnn.hidden}
    if rnn.kind == "RNN" and rnn.nonlinearity != "tanh":
        params["nonlinearity"] = rnn.nonlinearity
    if rnn.directions == 2:
        params["bidirectional"] = True
    if sequences:
        params["return_sequences"] = True
    name, fallback = c.name_for(rnn.op)
    rnn.block, rnn.sequences = c.add(rnn.kind, [rnn.source.node], params, name, fallback, rnn.op), sequences
    order, h = GATES[rnn.kind], rnn.hidden
    gates = len(order)

    def torch_order(m):  # ONNX stacks gates along the first axis in its order; torch in its own
        return np.concatenate([m[g * h:(g + 1) * h] for g in order])

    for d in range(rnn.directions):
        suffix = "_l0" + ("_reverse" if d else "")
        c.weights[f"{rnn.block}.weight_ih{suffix}"] = torch_order(rnn.w[d]).astype(np.float32)
        c.weights[f"{rnn.block}.weight_hh{suffix}"] = torch_order(rnn.r[d]).astype(np.float32)
        c.weights[f"{rnn.block}.bias_ih{suffix}"] = torch_order(rnn.b[d][:gates * h]).astype(np.float32)
        c.weights[f"{rnn.block}.bias_hh{suffix}"] = torch_order(rnn.b[d][gates * h:]).astype(np.float32)
    return Value(rnn.block, 2 if sequences else 1)


def transpose_rnn(c, node, ins, perm):
    x = ins[0]
    if isinstance(x, Value):
        c.values[node.output[0]] = RnnParts("time-major", value=x)
    elif x.stage == "y" and perm == [0, 2, 1, 3]:
        c.values[node.output[0]] = RnnParts("y-swapped", x.rnns)
    elif x.stage == "y-steps" and perm == [1, 0, 2]:
        c.values[node.output[0]] = materialize(c, x.rnns[-1], True)
    else:
        refuse(node, "this transpose of a recurrent op's output is not one torch makes")


def squeeze_rnn(c, node, ins, a):
    x = ins[0]
    if not isinstance(x, RnnParts) or x.stage != "y" or x.rnns[-1].directions != 1:
        refuse(node, "only the squeeze of a one-directional recurrent op's steps is supported")
    c.values[node.output[0]] = RnnParts("y-steps", x.rnns)


def reshape_rnn(c, node, ins):
    x = ins[0]
    if x.stage != "y-swapped":
        refuse(node, "this reshape of a recurrent op's output is not one torch makes")
    c.values[node.output[0]] = RnnParts("y-steps", x.rnns)


def gather_rnn(c, node, ins, a):
    x, index = ins
    if x.stage != "h" or a.get("axis", 0) != 0 or not isinstance(index, np.ndarray) or index.ndim != 0:
        refuse(node, "only picking one final state of a recurrent op is supported")
    d = x.rnns[-1].directions
    i = int(index) % (len(x.rnns) * d)
    layer, direction = divmod(i, d)
    if layer != len(x.rnns) - 1:
        refuse(node, "only the last recurrent layer's final state can be read")
    if d == 1:
        c.values[node.output[0]] = materialize(c, x.rnns[layer], False)
    else:
        c.values[node.output[0]] = RnnParts("h-picked", [x.rnns[layer]], direction=direction)


def concat_rnn(c, node, ins, a):
    if all(isinstance(v, RnnParts) and v.stage == "h" for v in ins) and a.get("axis", 0) == 0:
        c.values[node.output[0]] = RnnParts("h", [r for v in ins for r in v.rnns])
        return
    picked = [v for v in ins if isinstance(v, RnnParts) and v.stage == "h-picked"]
    if len(picked) == 2 == len(ins) and picked[0].rnns == picked[1].rnns and [p.direction for p in picked] == [0, 1] \
            and a.get("axis", 0) in (1, -1):
        c.values[node.output[0]] = materialize(c, picked[0].rnns[0], False)
        return
    refuse(node, "only joining both directions' final states, forward first, is supported")


RNN_OPS = {"RNN": recurrent, "LSTM": recurrent, "GRU": recurrent}
