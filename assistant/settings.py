"""All configuration in one typed object, read from ``ASSISTANT_*`` environment variables.

CLI flags override fields through :meth:`Settings.with_overrides`; nothing else in the
package reads the environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_ADMIN_TOKEN = 16  # characters; a random one of url-safe characters holds ~96 bits


class Settings(BaseSettings):
    """Settings documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), description="Folder ingested when no path is given.")
    index_dir: Path = Field(Path("index"), description="Where the index (snapshots, Chroma) lives.")
    chroma_url: str | None = Field(None, description="A Chroma server (http://host:port); unset means embedded Chroma.")
    collection: str = Field("istanbul", description="Chroma collection name prefix.")
    embedder: Literal["wordllama", "openai"] = Field("wordllama", description="Embedding model.")
    openai_embedding_model: str = Field("text-embedding-3-small")
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL", "openai_base_url"),
        description="Base URL of an OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp).",
    )
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"),
        description="Key for the endpoint; local servers accept any value.",
    )
    chunk_size: int = Field(500, ge=100, le=8000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(100, ge=0, le=2000, description="Characters shared by neighbours.")
    top_k: int = Field(6, ge=1, le=50, description="Chunks handed to the answerer.")
    max_question_chars: int = Field(1000, ge=10, le=100_000, description="Longest question accepted.")
    max_answer_sentences: int = Field(3, ge=1, le=10)
    backend: Literal["auto", "extractive", "openai"] = Field(
        "auto", description="extractive (offline), openai (any OpenAI-compatible endpoint), or auto."
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name at the endpoint.")
    llm_temperature: float = Field(0.0, ge=0, le=2)
    llm_max_tokens: int = Field(400, ge=16, le=8192, description="Longest answer the model may write.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before an LLM call is abandoned.")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries the openai SDK makes on failure.")
    second_reader: bool = Field(
        True,
        description="Ask the model once more about sentences the offline check could not confirm: "
        "supported ones are confirmed, contradicted ones dropped.",
    )
    llm_extra_body: dict[str, Any] | None = Field(
        None,
        description="Extra JSON fields sent with every chat request, for server-specific options "
        '(e.g. {"top_k": 20} for vLLM, or a llama.cpp "grammar").',
    )
    title: str | None = Field(
        None,
        description="The page's title; default: the seed articles' name on the seeds, else \"Ask your documents\".",
    )
    subtitle: str | None = Field(None, description="The line under the title; default: how answers are made.")
    greeting: str | None = Field(None, description="What the empty conversation says; default: follows the corpus.")
    host: str = Field("127.0.0.1", description="Address `assistant serve` listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port `assistant serve` listens on.")
    root_path: str = Field("", description="URL prefix when served behind a reverse proxy, e.g. /assistant.")
    public_url: str | None = Field(
        None, description="URL the widget script loads the panel from; default: the request's."
    )
    sites_file: Path | None = Field(None, description="TOML file declaring the sites that may embed the widget.")
    widget_demo: bool = Field(False, description="Serve /widget/demo, a page that embeds the widget, to try it.")
    feedback_file: Path = Field(Path("evals/feedback/feedback.jsonl"), description="Where thumbs up/down are kept.")
    max_request_bytes: int = Field(16_384, ge=1024, le=10_000_000, description="Largest API request body accepted.")
    max_history_turns: int = Field(20, ge=0, le=200, description="Earlier turns an API request may carry.")
    rate_limit: str = Field(
        "120/minute",
        description="Per client address, for API and Gradio calls that name no site: N/second|minute|hour.",
    )
    forwarded_allow_ips: str = Field(
        "", description="Proxy addresses whose X-Forwarded-For is trusted (comma-separated, or *); empty: none."
    )
    header_timeout: float = Field(
        10.0, gt=0, le=3600, description="Seconds a client has to send a request's headers before it is cut off."
    )
    body_timeout: float = Field(
        30.0, gt=0, le=3600, description="Seconds a client may pause while sending a request body."
    )
    workers: int = Field(1, ge=1, le=64, description="Server processes `assistant serve` starts on its port.")
    redis_url: str | None = Field(
        None,
        description="Redis (redis://host:port/db) holding rate limits and the panel-token key, shared by every "
        "worker and host; unset: kept in each process's memory.",
    )
    follow_outside_links: bool = Field(
        False, description="Ingest files that symbolic links point to outside the corpus."
    )
    metrics: bool = Field(False, description="Serve Prometheus metrics at /metrics to anyone who can reach it.")
    admin_token: SecretStr | None = Field(
        None,
        description="Token for the operator's surface (documents API and page, /metrics when not public); "
        "unset: that surface is off.",
    )
    log_questions: bool = Field(False, description="Put each question's text in the request log lines.")
    watch: bool = Field(
        False, description="While serving, ingest the corpus folder again whenever a file in it changes."
    )
    max_upload_bytes: int = Field(
        50_000_000, ge=1024, le=1_000_000_000,
        description="Largest upload (one or more documents) the admin API and the Documents view accept.",
    )  # fmt: skip
    judge_model: str | None = Field(None, description="Model that grades answers in the judged eval tier.")
    judge_base_url: str | None = Field(None, description="OpenAI-compatible endpoint of the judge.")
    judge_api_key: str | None = Field(None, description="Key for the judge endpoint.")

    @field_validator("index_dir")
    @classmethod
    def _index_dir_is_a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder")
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token_resists_guessing(cls, value: SecretStr | None) -> SecretStr | None:
        """The admin surface counts no failed attempts, so the token itself must be unguessable."""
        if value is not None and len(value.get_secret_value().strip()) < MIN_ADMIN_TOKEN:
            raise ValueError(
                f"is too short to resist guessing: use at least {MIN_ADMIN_TOKEN} characters, for example "
                "the output of: python -c 'import secrets; print(secrets.token_urlsafe())'"
            )
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError("must look like '120/minute' (N/second, N/minute or N/hour)") from exc
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must look like redis://host:6379/0 (or rediss://, unix://)")
        return value or None

    @model_validator(mode="after")
    def _embedder_has_a_key(self) -> Settings:
        if self.embedder == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("the openai embedder needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
        return self

    @classmethod
    def load(cls) -> Settings:
        """Settings from the environment; a bad value is an :class:`InvalidSetting` naming the
        variable, never pydantic's own text."""
        try:
            return cls()
        except ValidationError as exc:
            raise _invalid(exc, env=True) from exc

    @property
    def answer_backend(self) -> Literal["extractive", "openai"]:
        """``auto`` means: the LLM when an endpoint or key is configured, else offline."""
        if self.backend == "auto":
            return "openai" if (self.openai_base_url or self.openai_api_key) else "extractive"
        return self.backend

    def handoff(self) -> str:
        """These settings as JSON for a child process (a worker, a background ingest), secrets
        included: pydantic's own dump masks them, which would hand a child "**********" as its
        admin token."""
        data = self.model_dump(mode="json")
        data["admin_token"] = self.admin_token.get_secret_value() if self.admin_token else None
        return json.dumps(data)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A validated copy with CLI flags applied; ``None`` means "flag not given"."""
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return type(self).model_validate({**self.model_dump(), **given})
        except ValidationError as exc:
            raise _invalid(exc, env=False) from exc


def _invalid(exc: ValidationError, env: bool) -> Exception:
    """One plain line per problem: the variable (or setting) and what is wrong with it."""
    from .errors import InvalidSetting

    problems = []
    for error in exc.errors():
        field = ".".join(map(str, error["loc"]))
        name = f"ASSISTANT_{field.upper()}" if env and field else (field or "settings")
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{name}: {message}")
    return InvalidSetting("Invalid setting: " + "; ".join(problems))
