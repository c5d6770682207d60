"""Compiled designs against hand-written PyTorch: same weights by key, same outputs."""
import pytest
import torch
from torch import nn

from builder.compile import class_name, compile_graph
from builder.document import check_document
from builder.errors import GraphInvalid
from builder.templates import starter_designs
from tests.builder.designs import SPEC_EXAMPLE, design, node, sample

STARTERS = {s["slug"]: s["document"] for s in starter_designs()}


class Cifar(nn.Module):  # TensorFlow's CNN tutorial, in PyTorch
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(3, 32, 3), nn.Conv2d(32, 64, 3), nn.Conv2d(64, 64, 3)
        self.pool1, self.pool2 = nn.MaxPool2d(2), nn.MaxPool2d(2)
        self.fc1, self.logits = nn.Linear(64 * 4 * 4, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = torch.relu(self.conv3(x)).flatten(1)
        return self.logits(torch.relu(self.fc1(x)))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c3 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f5, self.f6, self.logits = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = nn.functional.avg_pool2d(torch.tanh(self.c3(x)), 2).flatten(1)
        return self.logits(torch.tanh(self.f6(torch.tanh(self.f5(x)))))


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5000, 32, padding_idx=0)
        self.lstm1 = nn.LSTM(32, 64, batch_first=True)
        self.logits = nn.Linear(64, 2)

    def forward(self, tokens):
        _, (h, _) = self.lstm1(self.embed(tokens))
        return self.logits(h[-1])


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.conv1, self.conv2 = (nn.Conv2d(c, 16, 3, padding=1) for c in (1, 16, 16))
        self.logits = nn.Linear(16, 10)

    def forward(self, x):
        stem = torch.relu(self.stem(x))
        y = self.conv2(torch.relu(self.conv1(stem)))
        return self.logits(torch.relu(stem + y).mean(dim=(2, 3)))


class BiGRU(nn.Module):  # Keras's Bidirectional(GRU): last forward state, then last backward state
    def __init__(self):
        super().__init__()
        self.gru1 = nn.GRU(1, 32, batch_first=True, bidirectional=True)
        self.logits = nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.gru1(x)
        return self.logits(torch.cat([out[:, -1, :32], out[:, 0, 32:]], dim=1))


@pytest.mark.parametrize("slug,oracle,shape,dtype", [
    ("cifar10-cnn", Cifar, [3, 32, 32], "float32"),
    ("lenet5", LeNet5, [1, 28, 28], "float32"),
    ("lstm-text-classifier", LSTMClassifier, [50], "int64"),
    ("residual-block", Residual, [1, 8, 8], "float32"),
    ("mnist1d-bigru", BiGRU, [40, 1], "float32"),
])
def test_it_matches_a_hand_written_model(slug, oracle, shape, dtype):
    torch.manual_seed(0)
    model, reference = compile_graph(STARTERS[slug]), oracle().eval()
    reference.load_state_dict(model.state_dict())  # strict: the same keys, the same shapes
    x = sample(shape, dtype, n=4, high=5000)
    torch.testing.assert_close(model(x), reference(x))
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in reference.parameters())


def test_it_has_exactly_the_cifar_tutorial_parameter_count():
    assert sum(p.numel() for p in compile_graph(STARTERS["cifar10-cnn"]).parameters()) == 122570


def test_it_keys_weights_by_node_id():
    keys = set(compile_graph(STARTERS["lstm-text-classifier"]).state_dict())
    assert keys == {"embed.weight", "lstm1.weight_ih_l0", "lstm1.weight_hh_l0", "lstm1.bias_ih_l0", "lstm1.bias_hh_l0",
                    "logits.weight", "logits.bias"}


def test_it_takes_inputs_in_document_order_and_returns_outputs_in_their_order():
    doc = design(node("b", "Input", shape=[3]), node("a", "Input", shape=[2]),
                 node("joined", "Concat", "a", "b"), node("neg", "Tanh", "b"), outputs=["neg", "joined"])
    a, b = torch.randn(5, 2), torch.randn(5, 3)
    neg, joined = compile_graph(doc)(b, a)
    torch.testing.assert_close(joined, torch.cat([a, b], 1))
    torch.testing.assert_close(neg, torch.tanh(b))


def test_it_reads_like_pytorch():
    code = compile_graph(SPEC_EXAMPLE).code
    assert "def forward(self, image)" in code
    assert "conv1 = torch.relu(conv1_conv2d)" in code and "logits = self.logits(flat)" in code


def test_it_accepts_a_checked_graph_and_refuses_an_invalid_document():
    assert isinstance(compile_graph(check_document(SPEC_EXAMPLE)), torch.fx.GraphModule)
    with pytest.raises(GraphInvalid) as caught:
        compile_graph(design(node("x", "Input", shape=[1, 2, 2]), node("c", "Conv2d", "x", out_channels=2, kernel_size=3)))
    assert caught.value.errors[0].node == "c"


def test_it_names_the_class_after_the_design():
    assert class_name("seed-cnn") == "SeedCnn" and class_name("CIFAR-10 CNN") == "CIFAR10CNN"
    assert class_name("3 layers") == "Net3Layers" and class_name("✓") == "Net"
    assert type(compile_graph(SPEC_EXAMPLE)).__name__ == "SeedCnn"
