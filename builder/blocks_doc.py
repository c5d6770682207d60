"""docs/blocks.md, generated from the one block catalogue: `python -m builder.blocks_doc > docs/blocks.md`.
A test keeps the committed file equal to what this prints. Pure core."""
from .blocks import catalogue

HEAD = """# Block types

Generated from the catalogue in `builder/blocks.py` by `python -m builder.blocks_doc` (the palette shows
the same text; `GET /api/blocks/` serves it as JSON). Parameters follow `torch.nn`; shapes are per
sample, channels first, no batch dimension. See `../shared/spec/graph-format.md` for the document format.
"""
GROUPS = ["inputs", "convolution and pooling", "recurrent", "dense", "normalization and regularization",
          "activations", "merge and reshape"]  # the order a reader meets them; others follow
ARITY = {0: "Takes no inputs.", 1: "Takes one input."}


def _default(p: dict) -> str:
    if p["required"]:
        return "required"
    if p["default"] is None:
        return "null"
    value = p["default"]
    return f"`{str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, str) else value}`"


def _limits(p: dict) -> str:
    if p["choices"]:
        return ", ".join(["null"] * p["nullable"] + [str(c) for c in p["choices"] if c is not None])
    if p["min"] is None and p["max"] is None:
        return ""
    upper = f"to <{p['max']}" if p["max_exclusive"] else f"to {p['max']}"
    return f"{p['min']} {upper}" if p["max"] is not None else f"at least {p['min']}"


def _kind(p: dict) -> str:
    return p["type"] + (" or null" if p["nullable"] else "")


def block(b: dict) -> str:
    summary, _, rest = b["doc"].partition("\n\n")
    out = [f"### {b['type']}", "", summary.strip(), "", ARITY.get(b["arity"], "Takes two or more inputs."), ""]
    if b["params"]:
        out += ["| param | type | default | limits | help |", "| --- | --- | --- | --- | --- |"]
        out += [f"| `{p['name']}` | {_kind(p)} | {_default(p)} | {_limits(p)} | {p['help']} |" for p in b["params"]]
        out.append("")
    shape = rest.split("Shape:", 1)
    if len(shape) == 2:
        lines = [line.strip() for line in shape[1].strip().splitlines() if line.strip()]
        out += ["Shape:", ""] + [f"- {line.lstrip('- ')}" for line in lines] + [""]
    return "\n".join(out)


def render() -> str:
    blocks = catalogue()
    groups = list(dict.fromkeys(GROUPS + [b["group"] for b in blocks]))
    parts = [HEAD]
    for group in groups:
        members = [b for b in blocks if b["group"] == group]
        if members:
            parts.append(f"## {group[0].upper()}{group[1:]}\n")
            parts += [block(b) for b in members]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
