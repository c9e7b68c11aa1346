"""All configuration, read from the environment in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from index_build.encoders import EncoderSettings
from index_build.store.factory import LOCK_TIMEOUT_SECONDS

MIN_ADMIN_TOKEN_CHARS = 32
# How the server runs the model and its searches, chosen with `citeqa bench` on this 2-core machine (PERFORMANCE.md);
# ONNX Runtime's threads are index_build.encoders.ONNX_THREADS (CITEQA_ONNX_THREADS). The model is compute-bound
# here (about 1 GFLOP a question, ~70 GFLOP/s a core): batching questions saved nothing and padding cost more, so
# it is off by default (1); four searches at a time, first come first served, cost 17 % of the throughput of no
# limit at 32 clients and cut its p99 by a fifth. One server process: the model, not Python, is the bottleneck.
BATCH_MAX = 1
BATCH_WAIT_MS = 0.0
SEARCH_CONCURRENCY = 4


class Settings(EncoderSettings):
    """citeqa settings; each field can be set by the environment variable named in its description (the
    encoder's, ``encoder`` and ``onnx_threads``, are declared with the encoders, in index_build.encoders)."""

    # A refused value is never echoed (pydantic's errors show the input otherwise): a token or an address with
    # its password would be printed in full. Each error still names the variable and says what is wrong.
    model_config = SettingsConfigDict(env_prefix="CITEQA_", extra="ignore", hide_input_in_errors=True)

    index_dir: Path = Field(Path("var/index"), description="CITEQA_INDEX_DIR: where index versions live")
    store: str = Field("", description="CITEQA_STORE: empty for the index folder (CITEQA_INDEX_DIR), or "
                       "postgresql://USER@HOST:PORT/DB to serve from PostgreSQL (builds still write the folder, then "
                       "copy its version in)")
    corpus_dir: Path = Field(Path("corpus"), description="CITEQA_CORPUS_DIR: report files and reports.json (the "
                             "folder store's catalog; with CITEQA_STORE, the reports a new database starts from)")
    lock_timeout: float = Field(LOCK_TIMEOUT_SECONDS, ge=0, le=86_400, description="CITEQA_LOCK_TIMEOUT: seconds a "
                                "change of the index (build, add, remove, import, an admin job) waits for another "
                                "citeqa process that is changing it, then gives up saying so (0: does not wait)")
    model: str = Field("multilingual-e5-small",
                       description="CITEQA_MODEL: 'multilingual-e5-small' (built offline) or a sentence-transformers name or folder")
    model_cache_dir: Path = Field(Path.home() / ".cache" / "citeqa" / "models",
                                  description="CITEQA_MODEL_CACHE_DIR: where the converted default model is kept")
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "CITEQA_HOST"), description="HOST")
    port: int = Field(8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "CITEQA_PORT"), description="PORT")
    batch_max: int = Field(BATCH_MAX, ge=1, le=256, description="CITEQA_BATCH_MAX: questions the server embeds in one "
                           "call of the model when they arrive together (1: each on its own)")
    batch_wait_ms: float = Field(BATCH_WAIT_MS, ge=0, le=100, description="CITEQA_BATCH_WAIT_MS: how long a batch "
                                 "waits for more questions once the model is free (0: it takes what is queued)")
    search_concurrency: int = Field(SEARCH_CONCURRENCY, ge=1, le=256, description="CITEQA_SEARCH_CONCURRENCY: "
                                    "searches run at once; the others wait their turn, first come first served")
    max_waiting_searches: int = Field(64, ge=0, le=100_000, description="CITEQA_MAX_WAITING_SEARCHES: searches "
                                      "that may wait for their turn; beyond, a search gets 503 with Retry-After")
    search_timeout: float = Field(20.0, gt=0, le=600, description="CITEQA_SEARCH_TIMEOUT: seconds a search may "
                                  "spend on the index database in all (its queries, and waits for a connection); "
                                  "past it, a 503 with Retry-After")
    default_k: int = Field(5, ge=1, le=50, description="CITEQA_DEFAULT_K: passages returned when k is not given")
    admin_token: str = Field("", description="CITEQA_ADMIN_TOKEN: enables the admin API (Authorization: Bearer <token>)")
    admin_throttle: int = Field(10, ge=1, description="CITEQA_ADMIN_THROTTLE: refused admin requests one client may "
                                "make within 60 s before its next refused ones get 429s")
    max_upload_mb: float = Field(50.0, gt=0, description="CITEQA_MAX_UPLOAD_MB: largest report accepted by upload")
    max_queued_jobs: int = Field(20, ge=1, le=10_000, description="CITEQA_MAX_QUEUED_JOBS: admin jobs (uploads, "
                                 "removals, rebuilds) that may wait; beyond, a request gets 429 with Retry-After")
    jobs_dir: Path | None = Field(None, description="CITEQA_JOBS_DIR: where the admin jobs' state is kept across "
                                  "restarts (default: a jobs folder beside CITEQA_AUDIT_LOG)")
    trusted_hosts: list[str] = Field(default_factory=list, description="CITEQA_TRUSTED_HOSTS: JSON list of the Host "
                                     "names served (e.g. [\"citeqa.example.org\"]); empty: any")
    cors_origins: list[str] = Field(default_factory=list, description="CITEQA_CORS_ORIGINS: JSON list of origins whose "
                                    "pages may call the API from a browser; empty: none (CORS closed)")
    audit_log: Path = Field(Path("var/audit.jsonl"), description="CITEQA_AUDIT_LOG: the admin actions, one JSON line each")
    retrieval: dict[str, object] = Field(default_factory=dict, description="CITEQA_RETRIEVAL: JSON object of retrieval "
                                         "settings that override those of the index version (e.g. {\"dense_weight\": 0.5})")
    translation: bool = Field(True, description="CITEQA_TRANSLATION: machine-translate questions into the reports' "
                              "other languages with Apertium where it is installed (false: never)")
    library_dir: Path | None = Field(None, description="CITEQA_LIBRARY_DIR: the library eval's report files "
                                                       "(default: ../shared/corpus_extra beside the repository)")

    @property
    def jobs_state_dir(self) -> Path:
        """The jobs folder: CITEQA_JOBS_DIR, or ``jobs`` beside the audit log."""
        return self.jobs_dir if self.jobs_dir is not None else self.audit_log.parent / "jobs"

    @field_validator("retrieval")
    @classmethod
    def _known_retrieval_settings(cls, value: dict) -> dict:
        from index_build.retrieval import RetrievalSettings

        RetrievalSettings.from_dict(value)  # unknown names and bad values are refused, with the known names
        return value

    @field_validator("admin_token")
    @classmethod
    def _strong_token(cls, value: str) -> str:
        if value and (len(value) < MIN_ADMIN_TOKEN_CHARS or not value.isascii() or not value.isprintable()
                      or " " in value):
            raise ValueError(f"CITEQA_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} printable ASCII characters "
                             "without spaces (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return value


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
