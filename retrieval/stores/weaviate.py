"""Weaviate (client v4) behind the VectorStore interface: our own vectors, explicit schema, hybrid search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from retrieval.chunking import Chunk
from retrieval.stores.base import SearchHit, WeaviateOptions
from tools.errors import StoreError

# A document whose chunks do not add up to one complete version reports this hash, so the next sync rewrites it.
INCOMPLETE = "incomplete"


def connect_weaviate(options: WeaviateOptions, embedded_dir: str | None) -> Any:
    """Connect to a Weaviate URL (optional API key) or start embedded Weaviate; one-line StoreError on failure."""
    import weaviate
    from pydantic import ValidationError
    from weaviate.classes.init import AdditionalConfig, Auth, Timeout
    from weaviate.exceptions import WeaviateBaseError

    config = AdditionalConfig(timeout=Timeout(init=10, query=30, insert=120))
    url, api_key = options.url, options.api_key
    where = url or f"embedded Weaviate in {embedded_dir}"
    try:
        if url is None:
            return weaviate.connect_to_embedded(persistence_data_path=embedded_dir, additional_config=config)
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        host = parts.hostname or "localhost"
        return weaviate.connect_to_custom(
            http_host=host, http_port=parts.port or (443 if secure else 80), http_secure=secure,
            grpc_host=options.grpc_host or host, grpc_port=options.grpc_port, grpc_secure=secure,
            additional_config=config,
            auth_credentials=Auth.api_key(api_key) if api_key else None,
        )  # fmt: skip
    except (WeaviateBaseError, OSError) as exc:
        raise StoreError(f"Cannot reach Weaviate at {where}: {_first_line(exc)}") from exc
    except ValidationError as exc:  # the client validates hosts and ports before connecting
        message = exc.errors()[0]["msg"] if exc.errors() else str(exc)
        raise StoreError(f"Invalid Weaviate connection settings for {where}: {message}") from exc


class WeaviateVectorStore:
    """One Weaviate collection of chunks; vectors come from our embedder (no Weaviate vectorizer)."""

    def __init__(self, client: Any, collection: str) -> None:
        """Use `collection`, creating it with the explicit schema when it does not exist."""
        self._client = client
        self._name = collection
        self._guard(self._ensure_collection)
        self._collection = client.collections.get(collection)

    def indexed_documents(self) -> dict[str, str]:
        """Each document's hash when exactly one complete version of it is stored, else INCOMPLETE."""
        fields = ["doc_id", "doc_hash", "chunk_count"]
        objects = self._guard(lambda: list(self._collection.iterator(return_properties=fields)))
        return document_versions(
            (str(o.properties["doc_id"]), str(o.properties["doc_hash"]), int(o.properties["chunk_count"]))
            for o in objects
        )

    def drop(self) -> None:
        """Delete the whole collection (used to clean up contract-test collections)."""
        self._guard(lambda: self._client.collections.delete(self._name))

    def replace_document(self, doc_id: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Write the new version first, then delete the old one: a crash in between is seen as INCOMPLETE."""
        self._guard(lambda: self._import(chunks, vectors))
        self._guard(lambda: self._delete_other_versions(doc_id, chunks[0].doc_hash if chunks else ""))

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove every chunk of the given documents."""
        from weaviate.classes.query import Filter

        if doc_ids:
            where = Filter.by_property("doc_id").contains_any(doc_ids)
            self._guard(lambda: self._collection.data.delete_many(where=where))

    def search(self, query: str, query_vector: np.ndarray, k: int, alpha: float) -> list[SearchHit]:
        """Weaviate hybrid search with relative score fusion; the cosine score is computed from the vectors."""
        from weaviate.classes.query import HybridFusion, MetadataQuery

        result = self._guard(
            lambda: self._collection.query.hybrid(
                query=query, vector=query_vector.astype(float).tolist(), alpha=alpha, limit=k,
                query_properties=["text"], fusion_type=HybridFusion.RELATIVE_SCORE,
                return_metadata=MetadataQuery(score=True), include_vector=True,
            )
        )  # fmt: skip
        return [self._to_hit(obj, query_vector) for obj in result.objects]

    def count(self) -> int:
        """Number of chunks indexed."""
        return int(self._guard(lambda: self._collection.aggregate.over_all(total_count=True)).total_count or 0)

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def _ensure_collection(self) -> None:
        """Create the collection: text fields, BM25 on `text`, HNSW with cosine distance on our vectors."""
        from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances

        if self._client.collections.exists(self._name):
            return
        self._client.collections.create(
            self._name,
            description="Chunks of the bank's policy corpus (bankassist).",
            properties=[
                Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
                Property(name="title", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
                Property(name="heading", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
                *(_exact_text(name) for name in ("chunk_id", "doc_id", "doc_hash")),
                Property(name="chunk_count", data_type=DataType.INT),
            ],
            vector_config=Configure.Vectors.self_provided(
                vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
            ),
        )

    def _import(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Batch import; any failed object fails the document with a message naming the first error."""
        from weaviate.util import generate_uuid5

        with self._collection.batch.fixed_size(batch_size=100) as batch:
            for chunk, vector in zip(chunks, vectors, strict=True):
                properties = {name: getattr(chunk, name) for name in ("doc_id", "title", "heading", "text", "doc_hash")}
                properties |= {"chunk_id": chunk.id, "chunk_count": len(chunks)}
                uuid = generate_uuid5(f"{chunk.id}@{chunk.doc_hash}")
                batch.add_object(properties=properties, vector=vector.astype(float).tolist(), uuid=uuid)
        failed = self._collection.batch.failed_objects
        if failed:
            raise StoreError(
                f"Weaviate rejected {len(failed)} of {len(chunks)} chunks of {chunks[0].doc_id}: {failed[0].message}"
            )

    def _delete_other_versions(self, doc_id: str, keep_hash: str) -> None:
        """Delete the document's chunks whose hash is not `keep_hash`."""
        from weaviate.classes.query import Filter

        where = Filter.by_property("doc_id").equal(doc_id) & Filter.by_property("doc_hash").not_equal(keep_hash)
        self._collection.data.delete_many(where=where)

    def _to_hit(self, obj: Any, query_vector: np.ndarray) -> SearchHit:
        """A search hit with the chunk's cosine similarity to the query."""
        props = obj.properties
        fields = ("chunk_id", "doc_id", "title", "heading", "text", "doc_hash")
        chunk = Chunk(*(str(props.get(name) or "") for name in fields))
        stored = obj.vector.get("default") or next(iter(obj.vector.values()), None)
        if stored is None:
            raise StoreError(f"Weaviate collection {self._name} returned {chunk.id} without its vector.")
        vector = np.asarray(stored, dtype=np.float32)
        cosine = float(vector @ query_vector / (np.linalg.norm(vector) * np.linalg.norm(query_vector) or 1.0))
        return SearchHit(chunk, cosine, float(obj.metadata.score or 0.0))

    def _guard(self, call: Any) -> Any:
        """Run a Weaviate call; its errors become one-line StoreErrors."""
        from weaviate.exceptions import WeaviateBaseError

        try:
            return call()
        except WeaviateBaseError as exc:
            raise StoreError(f"Weaviate collection {self._name}: {_first_line(exc)}") from exc


def _exact_text(name: str) -> Any:
    """A text property matched whole (ids and hashes): filterable, not part of BM25."""
    from weaviate.classes.config import DataType, Property, Tokenization

    return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False)


def document_versions(rows: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """From (doc_id, doc_hash, chunk_count) per stored chunk: the hash of each complete, unique version.

    A document with chunks missing, or with chunks of two versions (a crash mid-replace), maps to INCOMPLETE.
    """
    seen = Counter(rows)
    hashes: dict[str, set[str]] = {}
    for doc_id, doc_hash, _ in seen:
        hashes.setdefault(doc_id, set()).add(doc_hash)
    complete = {(doc_id, doc_hash) for (doc_id, doc_hash, expected), count in seen.items() if count == expected}
    return {
        doc_id: next(iter(found)) if len(found) == 1 and (doc_id, *found) in complete else INCOMPLETE
        for doc_id, found in hashes.items()
    }


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (Weaviate's can span pages)."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else exc.__class__.__name__
