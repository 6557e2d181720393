"""Vector stores behind one interface (`VectorStore`), opened by `open_store(kind, ...)`."""

from __future__ import annotations

from pathlib import Path

from retrieval.stores.base import SearchHit, VectorStore, WeaviateOptions
from tools.errors import ConfigurationError

__all__ = ["SearchHit", "VectorStore", "WeaviateOptions", "open_store"]
STORE_KINDS = ("local", "weaviate")


def open_store(kind: str, data_dir: Path, weaviate: WeaviateOptions | None = None) -> VectorStore:
    """Open the configured store: the embedded one in `<data_dir>/index.db`, or a Weaviate collection."""
    if kind == "local":
        from retrieval.stores.local import LocalVectorStore

        return LocalVectorStore(data_dir / "index.db")
    if kind == "weaviate":
        from retrieval.stores.weaviate import WeaviateVectorStore, connect_weaviate

        options = weaviate or WeaviateOptions(None, None, 50051, "BankassistChunk")
        embedded_dir = None if options.url else str(data_dir / "weaviate")
        client = connect_weaviate(options, embedded_dir)
        try:
            return WeaviateVectorStore(client, options.collection)
        except Exception:
            client.close()
            raise
    raise ConfigurationError(f"Unknown vector store {kind!r}; choose one of: {', '.join(STORE_KINDS)}.")
