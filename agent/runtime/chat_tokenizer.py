"""The model's tokenizer and chat template without transformers: what the CTranslate2 engine needs at run time.

`AutoTokenizer` imports torch (about 0.2 GiB and 2 s); the `tokenizers` library and jinja2 are what it runs
underneath. The template is rendered as transformers renders it (a sandboxed jinja2 environment with trimmed
blocks), and the prompt is tokenized without adding special tokens, as `apply_chat_template` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import ModelFilesError, first_line


@dataclass(frozen=True)
class ChatTokenizer:
    """Renders chats with the model's template and converts between text, ids and token strings."""

    tokenizer: Any  # a `tokenizers.Tokenizer`
    template: Any  # a compiled jinja2 template
    special_tokens: dict[str, str]  # bos_token, eos_token, ... as the template may name them

    @property
    def eos_token(self) -> str:
        """The token that ends a reply."""
        return self.special_tokens["eos_token"]

    def chat_ids(self, chat: list[dict[str, str]]) -> list[int]:
        """The chat rendered for a reply (with the assistant's opening), as token ids."""
        text = self.template.render(messages=chat, add_generation_prompt=True, **self.special_tokens)
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def tokens(self, ids: list[int]) -> list[str]:
        """The token strings of `ids` (what CTranslate2 takes)."""
        return [self.tokenizer.id_to_token(i) for i in ids]

    def decode(self, ids: list[int]) -> str:
        """Text of `ids`, without special tokens."""
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))


def load_chat_tokenizer(model_dir: Path) -> ChatTokenizer:
    """Read tokenizer.json, the special tokens and the chat template of a transformers model folder."""
    from tokenizers import Tokenizer

    try:
        config = json.loads((model_dir / "tokenizer_config.json").read_text())
        template_file = model_dir / "chat_template.jinja"
        source = template_file.read_text() if template_file.exists() else config.get("chat_template")
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception for a malformed file
        raise ModelFilesError(f"Cannot load the tokenizer in {model_dir}: {first_line(exc)}") from exc
    if not isinstance(source, str) or "eos_token" not in config:
        raise ModelFilesError(f"The model in {model_dir} has no chat template or end token: not an instruct model.")
    specials = {key: _token_text(value) for key, value in config.items() if key.endswith("_token") and value}
    return ChatTokenizer(tokenizer, _compile(source), specials)


def _token_text(value: Any) -> str:
    """A special token as configured: a string, or transformers' {"content": ...} form."""
    return str(value["content"]) if isinstance(value, dict) else str(value)


def _compile(source: str) -> Any:
    """The template in a sandbox, with the helpers transformers gives templates."""
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)
    environment.globals["raise_exception"] = raise_exception
    return environment.from_string(source)
