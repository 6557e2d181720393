"""The customer's own view: placeholders of values the customer typed in this message are shown as typed.

The model, the state, checkpoints and the audit log only ever see `<CARD_1>`. Just before an answer is
shown to the person who wrote the message, the placeholders of *their own* values from that message
are put back (names excepted, see NOT_SHOWN_BACK). Any other placeholder (an earlier message's value,
or one the model made up) stays.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tools.pii_memory import NUMBERED

# Names are not shown back: a name typed in a message may be another customer's ("show me Bob Nguyen's
# report"), and no answer shows another customer's identifiers, even ones the asker wrote themselves.
NOT_SHOWN_BACK = ("<PERSON_",)
# The start of a placeholder whose end has not streamed in yet: "<", "<CA", "<CARD_", "<CARD_1".
PARTIAL_PLACEHOLDER = re.compile(r"<[A-Z]*(?:_\d*)?$")


def shown_back(own: Mapping[str, str]) -> dict[str, str]:
    """The customer's own values that may appear in their view: all but names."""
    return {placeholder: value for placeholder, value in own.items() if not placeholder.startswith(NOT_SHOWN_BACK)}


def show_own_values(text: str, own: Mapping[str, str]) -> str:
    """`text` with each of the customer's own placeholders replaced by the value they typed."""
    if not own:
        return text
    return NUMBERED.sub(lambda m: own.get(m.group(0), m.group(0)), text)


class OwnValueStream:
    """`show_own_values` over streamed pieces: a placeholder split across pieces is held until it ends."""

    def __init__(self, own: Mapping[str, str]) -> None:
        """Nothing streamed or held yet."""
        self.values = own
        self.streamed = ""  # the pieces as they came, placeholders and all
        self._held = ""

    def feed(self, piece: str) -> str:
        """What can be shown of the text so far; a possible unfinished placeholder is held back."""
        self.streamed += piece
        text = self._held + piece
        partial = PARTIAL_PLACEHOLDER.search(text) if self.values else None
        cut = partial.start() if partial else len(text)
        self._held = text[cut:]
        return show_own_values(text[:cut], self.values)

    def flush(self) -> str:
        """Whatever is still held, at the end of the stream."""
        rest, self._held = self._held, ""
        return show_own_values(rest, self.values)
