"""Placeholders that stay the same for a whole conversation, without the conversation keeping the values.

A thread remembers, in its checkpointed state, which placeholder each value got, keyed by a keyed hash
(HMAC-SHA256) of the value's type and canonical spelling. The key never enters the state, so a checkpoint
holds no value and no hash anyone without the key could test guesses against.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from tools.errors import ConfigurationError

NUMBERED = re.compile(r"<([A-Z]+)_(\d+)>")
# A plain word of each placeholder's kind, for models that read words: a name stands in for a name, since
# "Pay someone $40" reads as something else than "Pay Alex $40".
PLAIN_WORDS = {
    "CARD": "card", "SSN": "number", "ROUTING": "routing number", "ACCOUNT": "account", "IBAN": "account",
    "EMAIL": "email address", "PHONE": "phone number", "DOB": "birthday", "ADDRESS": "address", "PERSON": "Alex",
}  # fmt: skip


class PlaceholderMemory:
    """The placeholders a conversation has handed out so far, and the ones this message adds."""

    def __init__(self, key: bytes, known: Mapping[str, str] | None = None) -> None:
        self._key = key
        self.placeholders: dict[str, str] = dict(known or {})  # fingerprint -> "<CARD_1>"

    def placeholder(self, label: str, canonical_value: str) -> str:
        """The value's placeholder from earlier in the conversation, else the label's next number."""
        fingerprint = self.fingerprint(label, canonical_value)
        if fingerprint not in self.placeholders:
            self.placeholders[fingerprint] = f"<{label}_{self._highest(label) + 1}>"
        return self.placeholders[fingerprint]

    def fingerprint(self, label: str, canonical_value: str) -> str:
        """A keyed hash of the value: the same value and key always give the same one."""
        return hmac.new(self._key, f"{label}:{canonical_value}".encode(), hashlib.sha256).hexdigest()[:32]

    def _highest(self, label: str) -> int:
        placeholders = (NUMBERED.fullmatch(p) for p in self.placeholders.values())
        return max((int(m.group(2)) for m in placeholders if m and m.group(1) == label), default=0)


def in_plain_words(text: str) -> str:
    """The text with each placeholder as a plain word of its kind: "freeze <CARD_1>" reads "freeze card"."""
    return NUMBERED.sub(lambda m: PLAIN_WORDS.get(m.group(1), m.group(1).lower()), text)


def load_pii_key(configured: str | None, data_dir: Path) -> bytes:
    """The HMAC key: BANKASSIST_PII_KEY when set (replicas must share it), else one made once per data dir."""
    if configured is not None:
        if len(configured) < 16:
            raise ConfigurationError("BANKASSIST_PII_KEY must be at least 16 characters.")
        return configured.encode()
    path = data_dir / "pii.key"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip().encode()
