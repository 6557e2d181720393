"""Fine-tune the guard's sentence encoder as an intent classifier, with LoRA (`bankassist train-guard`).

A linear head over the unit-length sentence embedding is trained together with LoRA adapters on the
encoder, with cross-entropy over the dataset intents. The head becomes the guard's full head and the
adapters ship inside the weights file, so the runtime encoder is the base model with them merged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.scope.weights import LinearHead
from finetune.schedules import warmup_then_linear_decay
from finetune.typos import with_typos
from retrieval.embeddings import SentenceTransformerEmbedder
from tools.datasets import LabeledQuery

MAX_TRAIN_TOKENS = 64  # queries are short; a long one is cut in training only, for speed
BUCKET = 50  # batches drawn from a pool of this many, sorted by length: less padding, about 1.4x faster
# Every linear projection of each BERT layer; not the pooler, which mean pooling never reads.
TARGET_MODULES = r".*\.layer\.\d+\..*(query|key|value|dense)"


@dataclass(frozen=True)
class TunedEncoder:
    """The guard's full encoder and head; `adapter` and `lora` (peft's tensors and config) rebuild the encoder."""

    embedder: SentenceTransformerEmbedder
    head: LinearHead
    adapter: dict[str, np.ndarray]
    lora: dict[str, Any]


@dataclass(frozen=True)
class EncoderTraining:
    """Settings of the fine-tuning run (the shipped weights use these defaults)."""

    epochs: float = 2.0
    batch: int = 32
    learning_rate: float = 5e-4  # LoRA's
    head_learning_rate: float = 1e-3
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    scale: float = 20.0  # the cosine softmax's temperature: logits = scale * head(unit embedding)
    typo_share: float = 0.3  # this share of the training queries gets a misspelled copy
    seed: int = 0


def tune_encoder(
    model: Any, queries: list[LabeledQuery], sample_weights: np.ndarray, class_names: list[str], config: EncoderTraining
) -> TunedEncoder:
    """Train LoRA adapters and the head on `model` (a SentenceTransformer, changed in place)."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict

    torch.manual_seed(config.seed)
    lora: dict[str, Any] = {
        "r": config.rank,
        "lora_alpha": config.alpha,
        "lora_dropout": config.dropout,
        "target_modules": TARGET_MODULES,
    }
    encoder = get_peft_model(model[0].auto_model, LoraConfig(**lora))
    head = torch.nn.Linear(encoder.config.hidden_size, len(class_names))
    rows = _training_rows(queries, sample_weights, class_names, config)
    _train(model, encoder, head, rows, config)
    # Round the adapter to the weights file's float16 before merging, so this encoder is the one the runtime rebuilds.
    adapter = {
        name: tensor.detach().to(torch.float16).float().numpy()
        for name, tensor in get_peft_model_state_dict(encoder).items()
    }
    set_peft_model_state_dict(encoder, {name: torch.from_numpy(tensor) for name, tensor in adapter.items()})
    model[0].auto_model = encoder.merge_and_unload().eval()
    full_head = LinearHead(
        (config.scale * head.weight.detach().numpy()).astype(np.float32), head.bias.detach().numpy().astype(np.float32)
    )
    return TunedEncoder(SentenceTransformerEmbedder(model), full_head, adapter, lora)


def _training_rows(
    queries: list[LabeledQuery], sample_weights: np.ndarray, class_names: list[str], config: EncoderTraining
) -> list[tuple[str, int, float]]:
    """(text, class index, weight) for each query and each misspelled copy."""
    index = {name: i for i, name in enumerate(class_names)}
    rows = [(q.text, index[q.label], float(w)) for q, w in zip(queries, sample_weights, strict=True)]
    copies = with_typos([q.text for q in queries], config.typo_share, config.seed)
    return rows + [(text, rows[i][1], rows[i][2]) for i, text in copies]


def _batches(rows: list[tuple[str, int, float]], config: EncoderTraining) -> list[list[int]]:
    """Enough shuffled batches for the configured epochs; each pool of batches is sorted by length."""
    rng = random.Random(config.seed)
    wanted = max(1, round(len(rows) / config.batch * config.epochs))
    batches: list[list[int]] = []
    while len(batches) < wanted:
        order = list(range(len(rows)))
        rng.shuffle(order)
        epoch = []
        for start in range(0, len(order), config.batch * BUCKET):
            pool = sorted(order[start : start + config.batch * BUCKET], key=lambda i: len(rows[i][0]))
            epoch += [pool[k : k + config.batch] for k in range(0, len(pool), config.batch)]
        rng.shuffle(epoch)
        batches += epoch
    return batches[:wanted]


def _train(model: Any, encoder: Any, head: Any, rows: list[tuple[str, int, float]], config: EncoderTraining) -> None:
    """AdamW with a linear warm-up and decay; weighted cross-entropy over the cosine logits.

    `encoder` is `model`'s transformer with LoRA layers; the sentence embedding comes from `model`'s own
    pooling and normalisation, as at run time.
    """
    import torch
    from tqdm import tqdm

    batches = _batches(rows, config)
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": config.learning_rate},
            {"params": head.parameters(), "lr": config.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    schedule = warmup_then_linear_decay(optimizer, len(batches), warm_up_share=0.06)
    encoder.train()
    progress = tqdm(batches, desc="train-guard: fine-tuning the encoder", unit="batch")
    for batch in progress:
        inputs = model.tokenizer(
            [rows[i][0] for i in batch], padding=True, truncation=True, max_length=MAX_TRAIN_TOKENS, return_tensors="pt"
        )
        logits = head(_sentence_embeddings(model, encoder(**inputs).last_hidden_state, inputs["attention_mask"]))
        logits = logits * config.scale
        labels = torch.tensor([rows[i][1] for i in batch])
        weights = torch.tensor([rows[i][2] for i in batch], dtype=torch.float32)
        loss = (torch.nn.functional.cross_entropy(logits, labels, reduction="none") * weights).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        progress.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    encoder.eval()


def _sentence_embeddings(model: Any, token_embeddings: Any, attention_mask: Any) -> Any:
    """Run the transformer's output through the model's later modules (for this model: mean pooling, unit length)."""
    features = {"token_embeddings": token_embeddings, "attention_mask": attention_mask}
    for module in list(model)[1:]:
        features = module(features)
    return features["sentence_embedding"]
