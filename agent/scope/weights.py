"""The trained scope guard's weights: two linear heads, the encoder's LoRA adapter and the calibrated thresholds."""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.state import ROUTES
from tools.errors import ModelFilesError

ADAPTER_KEY = "lora:"  # prefix of the adapter's tensors in the .npz
ACCOUNT_ROWS = ("other", "own", "person")  # the account head's classes, in its rows' order


@dataclass(frozen=True)
class LinearHead:
    """Softmax over fine-grained classes (dataset intents), each belonging to one route."""

    weights: np.ndarray  # (classes, features)
    bias: np.ndarray  # (classes,)

    def class_probabilities(self, features: Any) -> np.ndarray:
        """(n, classes) softmax over the fine-grained classes."""
        logits = np.asarray(features @ self.weights.T) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def route_probabilities(self, features: Any, class_routes: np.ndarray) -> np.ndarray:
        """(n, 4) route probabilities: the class softmax summed per route."""
        return routes_of(self.class_probabilities(features), class_routes)


@dataclass(frozen=True)
class IntentHead:
    """A finer softmax over one route's dataset intents (BANKING77's 77), read from both encoders' vectors.

    The cascade's heads learn routes first and split near-duplicate intents ("pending top up" / "top up
    failed") less well; this head only says which of its intents, never how likely the route is.
    """

    head: LinearHead  # over the full encoder's embedding followed by the fast (static) one
    columns: np.ndarray  # its intents' columns among the guard's classes, in the head's order

    def refine(self, probabilities: np.ndarray, rows: np.ndarray, features: np.ndarray) -> None:
        """Share out the rows' probability of these intents as the head says; each route keeps its total."""
        mass = probabilities[np.ix_(rows, self.columns)].sum(axis=1, keepdims=True)
        probabilities[np.ix_(rows, self.columns)] = mass * self.head.class_probabilities(features)


def routes_of(class_probabilities: np.ndarray, class_routes: np.ndarray) -> np.ndarray:
    """(n, 4) route probabilities: each class's probability added to its route's."""
    return class_probabilities @ np.eye(len(ROUTES), dtype=np.float32)[class_routes]


@dataclass(frozen=True)
class Thresholds:
    """In-scope probability cut-offs, and the fast head's confidence that skips the transformer."""

    answer: float  # at or above: answer on the best in-scope route
    clarify: float  # from here up to `answer`: ask a clarifying question instead of refusing
    escalate: float  # fast head less sure than this: run the transformer head


@dataclass(frozen=True)
class ScopeWeights:
    """Everything `bankassist train-guard` produces, saved as one small .npz file."""

    class_names: np.ndarray
    class_routes: np.ndarray
    fast: LinearHead
    full: LinearHead  # over the full encoder's unit-length sentence embedding
    thresholds: Thresholds
    info: dict[str, Any] = field(default_factory=dict)  # provenance; "lora" holds the adapter's peft config
    adapter: dict[str, np.ndarray] = field(default_factory=dict)  # LoRA tensors for the full encoder; none: base
    intent: IntentHead | None = None  # names the BANKING77 intent; weights from before it have none
    # Rows [other, own, person]: about the customer's own accounts, asking for a person, or neither? Read
    # from both encoders' vectors, after the route heads (agent/scope/account_route.py).
    account: LinearHead | None = None

    def save(self, path: Path) -> None:
        """Write the weights (float16 for the adapter) and their provenance."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            class_names=self.class_names,
            class_routes=self.class_routes,
            fast_weights=self.fast.weights.astype(np.float32),
            fast_bias=self.fast.bias,
            full_weights=self.full.weights.astype(np.float32),
            full_bias=self.full.bias,
            thresholds=np.array([self.thresholds.answer, self.thresholds.clarify, self.thresholds.escalate]),
            info=np.array(json.dumps(self.info)),
            **self._adapter_arrays(),
            **self._intent_arrays(),
            **self._account_arrays(),
        )
        tmp.replace(path)

    def _intent_arrays(self) -> dict[str, Any]:
        """The intent head's arrays, if it has one."""
        if self.intent is None:
            return {}
        head = self.intent.head
        return {"intent_weights": head.weights, "intent_bias": head.bias, "intent_columns": self.intent.columns}

    def _account_arrays(self) -> dict[str, Any]:
        """The account head's arrays, if it has one."""
        if self.account is None:
            return {}
        return {"account_weights": self.account.weights, "account_bias": self.account.bias}

    def _adapter_arrays(self) -> dict[str, Any]:
        """The LoRA tensors under prefixed names, in float16 (half the size, well within LoRA's precision)."""
        return {ADAPTER_KEY + name: tensor.astype(np.float16) for name, tensor in self.adapter.items()}


def load_weights(path: Path) -> ScopeWeights:
    """Read a weights file; a missing or foreign file is a clear error."""
    try:
        return _read(path)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFilesError(
            f"Cannot read the scope guard weights {path}: {exc}. Run `bankassist train-guard`."
        ) from exc


def _read(path: Path) -> ScopeWeights:
    """Parse the arrays; a missing key, a missing encoder name or mismatched shapes raise."""
    with np.load(path, allow_pickle=False) as data:
        answer, clarify, escalate = (float(x) for x in data["thresholds"])
        weights = ScopeWeights(
            class_names=data["class_names"],
            class_routes=data["class_routes"],
            fast=LinearHead(data["fast_weights"], data["fast_bias"]),
            full=LinearHead(data["full_weights"].astype(np.float32), data["full_bias"]),
            thresholds=Thresholds(answer, clarify, escalate),
            info=json.loads(str(data["info"])),
            adapter={
                key.removeprefix(ADAPTER_KEY): data[key].astype(np.float32)
                for key in data.files
                if key.startswith(ADAPTER_KEY)
            },
            intent=_intent_head(data),
            account=_account_head(data),
        )
    classes = len(weights.class_names)
    if not isinstance(weights.info.get("encoder"), str):
        raise ValueError("no encoder name")
    if {classes, len(weights.class_routes), len(weights.fast.bias), len(weights.full.bias)} != {classes}:
        raise ValueError("heads and classes disagree")
    if weights.intent and not _fits(weights.intent, weights.class_routes):
        raise ValueError("the intent head's classes do not match the guard's, or span more than one route")
    if weights.account and weights.account.bias.shape != (len(ACCOUNT_ROWS),):
        raise ValueError(f"the account head's rows are not {ACCOUNT_ROWS}")
    if weights.adapter and not isinstance(weights.info.get("lora"), dict):
        raise ValueError("an adapter without its LoRA config")
    return weights


def _intent_head(data: Any) -> IntentHead | None:
    """The intent head stored beside the others; None in weights trained before it existed."""
    if "intent_columns" not in data.files:
        return None
    head = LinearHead(data["intent_weights"].astype(np.float32), data["intent_bias"].astype(np.float32))
    return IntentHead(head, data["intent_columns"])


def _account_head(data: Any) -> LinearHead | None:
    """The account head stored beside the others; None in weights trained before it existed."""
    if "account_weights" not in data.files:
        return None
    return LinearHead(data["account_weights"].astype(np.float32), data["account_bias"].astype(np.float32))


def _fits(intent: IntentHead, class_routes: np.ndarray) -> bool:
    """One row per column, every column a class of the guard, all on one route (so refining keeps routes)."""
    columns = intent.columns
    if len(columns) != len(intent.head.bias) or not np.all((columns >= 0) & (columns < len(class_routes))):
        return False
    return len(set(class_routes[columns].tolist())) == 1
