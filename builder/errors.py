"""The one error type of the builder: a problem tied to a node and, where one is to blame, a parameter."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GraphError:
    node: str | None
    param: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


class GraphInvalid(Exception):
    """A document that cannot become a model; `errors` says every reason found, first problem first."""

    def __init__(self, errors: list[GraphError]):
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in self.errors))
