"""Fine-tune the retrieval embedder on real customer wording (`bankassist train-retriever`).

Pairs: each BANKING77 train query with a passage of a document its intent maps to (in turn, when several:
evals/data/banking77_coverage.json): that document's chunk the base model ranks highest for the query.
Held out, never trained on: the retrieval eval's BANKING77 queries (the first 5 per intent), the golden
set and the customer-wording questions. LoRA adapters on every linear layer of the encoder learn with
sentence-transformers' MultipleNegativesRankingLoss (in-batch negatives); a passage whose document
answers another query of the batch is masked out of that query's negatives (it is no negative).
The adapter ships as a small .npz that the retriever merges into its own copy of the base model.
"""

from __future__ import annotations

import csv
import json
import random
import time
import warnings
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.retrieval import COVERAGE_PATH, DATA_DIR, GOLDEN_PATH, banking77_questions
from finetune.schedules import warmup_then_linear_decay
from retrieval.answer_units import passage_units
from retrieval.chunking import Chunk, chunk_document
from retrieval.documents import load_corpus
from retrieval.embeddings import (
    EncoderAdapter,
    SentenceTransformerEmbedder,
    embedder_fingerprint,
    load_adapter,
    load_sentence_transformer,
    merge_lora,
)
from retrieval.unit_questions import DEFAULT_UNIT_QUESTIONS, read_unit_questions
from tools.errors import ConfigurationError

# Every linear projection of each BERT layer; not the pooler, which mean pooling never reads.
TARGET_MODULES = r".*\.layer\.\d+\..*(query|key|value|dense)"
MAX_QUERY_TOKENS = 64
SLICE = 8  # texts per forward pass in training, sorted by length: little padding
# Held-out question files beside the golden set (read when present): never training data.
HELD_OUT_FILES = ("customer_questions.jsonl", "unanswerable.jsonl")


@dataclass(frozen=True)
class RetrieverTraining:
    """Settings of the fine-tuning run (the shipped adapter uses these defaults)."""

    epochs: float = 1.5
    passages: int = 16  # positive passages per batch (each a negative for the other groups' queries)
    queries_per_passage: int = 8
    max_passage_tokens: int = 128  # in training only: a chunk's title, heading and first lines
    learning_rate: float = 1e-3
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    scale: float = 20.0  # MultipleNegativesRankingLoss's: logits = scale * cosine
    max_per_intent: int | None = None  # cap the training queries per intent (quick runs and tests)
    # Also pair each written customer question (retrieval/unit_questions.jsonl) with the policy sentence it asks
    # about, as the answer selector scores it. Off in the shipped adapter: it ranked the answering sentence no
    # better and lowered BANKING77 recall@5 (README, "The knowledge base").
    unit_questions: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Pair:
    """A customer query, a passage of one document its intent maps to, and that intent's documents."""

    query: str
    passage: str
    doc_id: str
    intent_docs: frozenset[str]


@dataclass(frozen=True)
class TrainedRetriever:
    """The adapter, the embedder with it merged (as the runtime rebuilds it) and the run's card."""

    adapter: EncoderAdapter
    embedder: SentenceTransformerEmbedder
    card: dict[str, Any]


def held_out_texts(data_dir: Path) -> set[str]:
    """Every query an eval scores, lower-cased: BANKING77's eval queries, the golden set, customer questions."""
    texts = {question for _, question, _ in banking77_questions(data_dir)}
    for path in (GOLDEN_PATH, *(DATA_DIR / name for name in HELD_OUT_FILES)):
        if path.is_file():
            texts |= {json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line}
    return {text.strip().lower() for text in texts}


def training_queries(data_dir: Path, held_out: set[str], max_per_intent: int | None = None) -> list[tuple[str, str]]:
    """(query, intent) for BANKING77 train rows of mapped intents, minus every held-out text."""
    coverage = _coverage()
    taken: dict[str, int] = defaultdict(int)
    queries = []
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text, intent = row["text"].strip(), row["category"].strip()
            if intent not in coverage or text.lower() in held_out:
                continue
            if max_per_intent is None or taken[intent] < max_per_intent:
                taken[intent] += 1
                queries.append((text, intent))
    return queries


def build_pairs(queries: list[tuple[str, str]], chunks: list[Chunk], embedder: Any) -> list[Pair]:
    """Pair each query with one document of its intent, in turn: that document's chunk the embedder ranks highest.

    An intent mapped to two documents sends its first query to the first, its second to the second, and so on.
    """
    coverage = _coverage()
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row, chunk in enumerate(chunks):
        rows_of[chunk.doc_id].append(row)
    missing = sorted({d for docs in coverage.values() for d in docs} - set(rows_of))
    if missing:
        raise ConfigurationError(f"banking77_coverage.json maps intents to documents not in the corpus: {missing}")
    chunk_vectors = embedder.embed([c.text for c in chunks])
    query_vectors = embedder.embed([q for q, _ in queries])
    turn: dict[str, int] = defaultdict(int)
    pairs = []
    for (query, intent), vector in zip(queries, query_vectors, strict=True):
        doc_id = coverage[intent][turn[intent] % len(coverage[intent])]
        turn[intent] += 1
        rows = rows_of[doc_id]
        best = rows[int(np.argmax(chunk_vectors[rows] @ vector))]
        pairs.append(Pair(query, chunks[best].text, doc_id, frozenset(coverage[intent])))
    return pairs


def unit_question_pairs(chunks: list[Chunk], held_out: set[str], path: Path = DEFAULT_UNIT_QUESTIONS) -> list[Pair]:
    """Each written question with its unit's context (heading and sentence, what the selector embeds).

    The unit is its own "document": the other sentences of its page are the negatives the selector must tell
    apart. A question an eval asks (by its text) is left out; the file's writers never read the eval sets.
    """
    contexts = {
        (unit.doc_id, unit.text): unit.context
        for chunk in chunks
        for unit in passage_units(chunk.text, chunk.doc_id, chunk.title)
    }
    pairs = []
    for key, questions in read_unit_questions(path):
        context = contexts.get(key)
        if context is None:
            continue  # a unit the corpus no longer has
        unit_id = f"{key[0]}#{context}"
        pairs += [
            Pair(q, context, unit_id, frozenset({unit_id})) for q in questions if q.strip().lower() not in held_out
        ]
    return pairs


def grouped_batches(pairs: list[Pair], config: RetrieverTraining, seed: int) -> list[list[int]]:
    """Shuffled batches of `passages` groups, each of up to `queries_per_passage` queries sharing a positive.

    A passage is encoded once per batch however many of its queries there are: queries are short, passages
    long, so this buys several times more pairs per second than one passage per query.
    """
    by_passage: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        by_passage[pair.passage].append(i)
    rng = random.Random(seed)
    groups = []
    for passage in sorted(by_passage):
        ids = by_passage[passage]
        rng.shuffle(ids)
        groups += [ids[k : k + config.queries_per_passage] for k in range(0, len(ids), config.queries_per_passage)]
    rng.shuffle(groups)
    step = config.passages
    return [[i for group in groups[k : k + step] for i in group] for k in range(0, len(groups), step)]


def false_negatives(pairs: list[Pair], batch: list[int]) -> np.ndarray:
    """(query, passage) cells of a batch that are no negatives: the passage's document answers the query."""
    return np.array([[i != j and pairs[j].doc_id in pairs[i].intent_docs for j in batch] for i in batch], dtype=bool)


class MaskedCosine:
    """Cosine similarity with the current batch's false negatives at -inf, out of the loss's softmax."""

    def __init__(self) -> None:
        self.mask: Any = None

    def __call__(self, a: Any, b: Any) -> Any:
        """(len(a), len(b)) cosine scores, masked."""
        from sentence_transformers.util import cos_sim

        scores = cos_sim(a, b)
        return scores if self.mask is None else scores.masked_fill(self.mask, float("-inf"))


def train_adapter(model: Any, pairs: list[Pair], config: RetrieverTraining, base_model: str) -> EncoderAdapter:
    """Train LoRA factors on `model` (a SentenceTransformer, changed in place) with in-batch negatives."""
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    with warnings.catch_warnings():  # peft asks transformers a deprecated question; not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        lora = LoraConfig(
            r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout, target_modules=TARGET_MODULES
        )
        encoder = get_peft_model(model[0].auto_model, lora)
    similarity = MaskedCosine()
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale, similarity_fct=similarity)
    batches = training_batches(pairs, config)
    parameters = [p for p in encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=0.01)
    schedule = warmup_then_linear_decay(optimizer, len(batches), warm_up_share=0.1)
    encoder.train()
    progress = tqdm(batches, desc="train-retriever: fine-tuning the encoder", unit="batch")
    for batch in progress:
        queries = _embed(model, encoder, [pairs[i].query for i in batch], MAX_QUERY_TOKENS)
        texts = sorted({pairs[i].passage for i in batch})
        unique = _embed(model, encoder, texts, config.max_passage_tokens)
        passages = unique[torch.tensor([texts.index(pairs[i].passage) for i in batch])]
        similarity.mask = torch.from_numpy(false_negatives(pairs, batch))
        loss = loss_fn.compute_loss_from_embeddings([queries, passages], labels=torch.empty(0))  # labels unused
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        progress.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    encoder.eval()
    return EncoderAdapter(_lora_factors(encoder), base_model, config.rank, float(config.alpha))


def train_retriever(
    data_dir: Path, corpus_dir: Path, base_model: str, out: Path, config: RetrieverTraining
) -> TrainedRetriever:
    """Build the pairs, train, save the adapter and its card (`<out>` with `.json`), and reload it as served."""
    started = time.perf_counter()
    chunks = [chunk for document in load_corpus(corpus_dir) for chunk in chunk_document(document)]
    base = SentenceTransformerEmbedder(load_sentence_transformer(base_model))
    held_out = held_out_texts(data_dir)
    queries = training_queries(data_dir, held_out, config.max_per_intent)
    pairs = build_pairs(queries, chunks, base)
    banking77_pairs = len(pairs)
    if config.unit_questions:
        pairs += unit_question_pairs(chunks, held_out)
    prepared = time.perf_counter()
    adapter = train_adapter(base.model, pairs, config, base_model)
    trained = time.perf_counter()
    adapter.save(out)
    saved = load_adapter(out)  # the float16 file, exactly as the runtime merges it
    embedder = SentenceTransformerEmbedder(
        merge_lora(load_sentence_transformer(base_model), saved), embedder_fingerprint(base_model, saved)
    )
    batches = len(training_batches(pairs, config))
    card = {
        "base_model": base_model,
        "adapter": out.name,
        "adapter_sha256_16": saved.digest,
        "adapter_bytes": out.stat().st_size,
        "loss": "sentence-transformers MultipleNegativesRankingLoss (in-batch negatives, false negatives masked)",
        "training": asdict(config),
        "target_modules": TARGET_MODULES,
        "data": {
            "source": "BANKING77 train.csv, intents mapped by evals/data/banking77_coverage.json"
            + (", and retrieval/unit_questions.jsonl with each question's unit" if config.unit_questions else ""),
            "queries": len(queries),
            "pairs": len(pairs),
            "banking77_pairs": banking77_pairs,
            "unit_question_pairs": len(pairs) - banking77_pairs,
            "documents": len({p.doc_id for p in pairs[:banking77_pairs]}),
            "held_out": "the retrieval eval's BANKING77 queries (first 5 per intent), the golden set, "
            "customer_questions.jsonl and unanswerable.jsonl: excluded by text",
            "held_out_texts": len(held_out),
        },
        "steps": batches,
        "seconds": {"pairs": round(prepared - started, 1), "training": round(trained - prepared, 1)},
        "trained_on": time.strftime("%Y-%m-%d"),
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return TrainedRetriever(saved, embedder, card)


def _coverage() -> dict[str, list[str]]:
    """BANKING77 intent -> the documents that answer it."""
    coverage: dict[str, list[str]] = json.loads(COVERAGE_PATH.read_text(encoding="utf-8"))
    return coverage


def training_batches(pairs: list[Pair], config: RetrieverTraining) -> list[list[int]]:
    """Grouped batches for the configured epochs, regrouped each pass; a fraction of a pass is cut short."""
    wanted, batches, rounds = None, [], 0
    while wanted is None or len(batches) < wanted:
        epoch = grouped_batches(pairs, config, config.seed + rounds)
        wanted = wanted or max(1, round(len(epoch) * config.epochs))
        batches += epoch
        rounds += 1
    return batches[:wanted]


def _embed(model: Any, encoder: Any, texts: list[str], max_tokens: int) -> Any:
    """Unit sentence embeddings with gradients: the LoRA encoder, then the model's own pooling modules.

    Texts go through in length-sorted slices, so a short query is not padded to the batch's longest.
    """
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pieces = []
    for start in range(0, len(order), SLICE):
        inputs = model.tokenizer(
            [texts[i] for i in order[start : start + SLICE]],
            padding=True,
            truncation=True,
            max_length=max_tokens,
            return_tensors="pt",
        )
        features = {"token_embeddings": encoder(**inputs).last_hidden_state, "attention_mask": inputs["attention_mask"]}
        for module in list(model)[1:]:
            features = module(features)
        pieces.append(features["sentence_embedding"])
    inverse = torch.empty(len(order), dtype=torch.long)
    inverse[torch.tensor(order)] = torch.arange(len(order))
    return torch.cat(pieces)[inverse]


def _lora_factors(encoder: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each adapted layer's (A, B), named as in the plain encoder."""
    factors = {}
    for name, module in encoder.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            a = module.lora_A["default"].weight.detach().float().numpy()
            b = module.lora_B["default"].weight.detach().float().numpy()
            factors[name.removeprefix("base_model.model.")] = (a, b)
    return factors
