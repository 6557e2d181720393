"""Vector stores behind one interface (`VectorStore`), opened by `open_store(kind, ...)`."""

from __future__ import annotations

from pathlib import Path

from retrieval.stores.base import SearchHit, VectorStore
from tools.errors import ConfigurationError

__all__ = ["SearchHit", "VectorStore", "open_store"]


def open_store(kind: str, data_dir: Path) -> VectorStore:
    """Open the configured store; the embedded one lives in `<data_dir>/index.db`."""
    if kind == "local":
        from retrieval.stores.local import LocalVectorStore

        return LocalVectorStore(data_dir / "index.db")
    raise ConfigurationError(
        f"The vector store {kind!r} is not available in this version; use BANKASSIST_VECTOR_STORE=local."
    )
