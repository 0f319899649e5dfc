"""Embedding functions, registered with Chroma so a collection records which one built it.

The default is WordLlama (:mod:`assistant.text.embedding`), whose weights and tokenizer ship
inside its wheel and are opened directly, so nothing is ever downloaded.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from ..errors import IndexMismatch
from ..settings import Settings
from ..text.embedding import embedder

WORDLLAMA_NAME = "istanbul-wordllama"


@register_embedding_function
class WordLlamaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Static token embeddings, mean-pooled and L2-normalised; runs on CPU in microseconds."""

    def __init__(self, config: str = "l2_supercat", dim: int = 256) -> None:
        self.config = config
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        return list(embedder(self.config, self.dim).embed(list(input)))

    @staticmethod
    def name() -> str:
        return WORDLLAMA_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"config": self.config, "dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> WordLlamaEmbeddingFunction:
        return WordLlamaEmbeddingFunction(config=config.get("config", "l2_supercat"), dim=int(config.get("dim", 256)))


def make_embedder(settings: Settings) -> EmbeddingFunction[Documents]:
    """The embedding function the settings ask for."""
    if settings.embedder == "openai":
        import warnings

        from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

        with warnings.catch_warnings():  # a key given directly is deliberately not persisted
            warnings.simplefilter("ignore", DeprecationWarning)
            return OpenAIEmbeddingFunction(
                model_name=settings.openai_embedding_model,
                api_key=settings.openai_api_key,
                api_base=settings.openai_base_url,
            )
    return WordLlamaEmbeddingFunction()


def describe(ef: EmbeddingFunction[Documents]) -> dict[str, Any]:
    """Name and config, as stored in the index manifest."""
    config = {k: v for k, v in ef.get_config().items() if "key" not in k}
    return {"name": ef.name(), "config": config}


def check_same(recorded: dict[str, Any], ef: EmbeddingFunction[Documents]) -> None:
    """Refuse to query an index with vectors from another embedder."""
    current = describe(ef)
    keys = ("model_name", "config", "dim")
    same = recorded.get("name") == current["name"] and all(
        recorded.get("config", {}).get(k) == current["config"].get(k) for k in keys
    )
    if not same:
        raise IndexMismatch(
            f"The index was built with the embedder {recorded.get('name')} "
            f"{recorded.get('config', {})}, but the settings ask for {current['name']} "
            f"{current['config']}. Rebuild it with `assistant ingest --rebuild`, or set "
            "ASSISTANT_EMBEDDER back to the one that built it."
        )
