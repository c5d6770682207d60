from pathlib import Path

from builder.blocks_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "blocks.md"


def test_it_keeps_docs_blocks_md_equal_to_the_catalogue():
    assert DOC.read_text() == render(), "docs/blocks.md is stale: run python -m builder.blocks_doc > docs/blocks.md"


def test_it_documents_every_block_type_and_parameter():
    from builder.blocks import catalogue

    text = render()
    for b in catalogue():
        assert f"### {b['type']}\n" in text
        assert all(f"| `{p['name']}` |" in text for p in b["params"])
