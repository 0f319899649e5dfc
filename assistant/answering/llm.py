"""The chat model, spoken to through the ``openai`` package's Chat Completions API.

One base URL points it at OpenAI, Azure's OpenAI-compatible endpoint, vLLM, Ollama or a
llama.cpp server. Every failure the SDK can raise (after its own retries) becomes an
:class:`LLMUnavailable` with a one-line reason, so callers can fall back cleanly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import cast

import httpx
import openai
from openai.types.chat import ChatCompletionChunk

from ..settings import Settings


class LLMUnavailable(Exception):
    """The model could not give a usable reply; ``reason`` is fit to show a user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatModel:
    """A thin wrapper: streaming and one-shot completions with uniform errors."""

    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model
        self.temperature = settings.llm_temperature
        self.max_tokens = settings.llm_max_tokens
        self.extra_body = settings.llm_extra_body
        self._client = openai.OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",  # local servers take any key
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )

    def stream(self, messages: list[dict[str, str]], on_token: Callable[[str], None] | None = None) -> str:
        """The whole reply; each piece goes to ``on_token`` as it arrives."""
        parts: list[str] = []
        for piece in self._pieces(messages):
            parts.append(piece)
            if on_token is not None:
                on_token(piece)
        text = "".join(parts).strip()
        if not text:
            raise LLMUnavailable("the model returned an empty reply")
        return text

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str:
        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=max_tokens or self.max_tokens,
                extra_body=self.extra_body,
            )
        except Exception as exc:
            raise LLMUnavailable(_reason(exc)) from exc
        if not reply.choices or not (reply.choices[0].message.content or "").strip():
            raise LLMUnavailable("the model returned an empty reply")
        return (reply.choices[0].message.content or "").strip()

    def _pieces(self, messages: list[dict[str, str]]) -> Iterator[str]:
        try:
            stream = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stream=True,
                extra_body=self.extra_body,
            )
            for event in cast(Iterable[ChatCompletionChunk], stream):
                if event.choices and event.choices[0].delta and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except LLMUnavailable:
            raise
        except Exception as exc:  # a stream can break in many ways; all mean "no usable reply"
            raise LLMUnavailable(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    """One line a user can act on."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return "the model did not answer in time"
    if isinstance(exc, openai.RateLimitError):
        return "the model's endpoint is rate-limiting requests (429)"
    if isinstance(exc, openai.AuthenticationError):
        return "the model's endpoint rejected the API key (401)"
    if isinstance(exc, openai.NotFoundError):
        return "the model or endpoint was not found (404); check ASSISTANT_LLM_MODEL and the base URL"
    if isinstance(exc, openai.APIStatusError):
        return f"the model's endpoint failed ({exc.status_code})"
    if isinstance(exc, openai.APIConnectionError):
        return "the model's endpoint could not be reached or dropped the connection"
    if isinstance(exc, httpx.HTTPError):
        return "the connection to the model broke off mid-answer"
    return f"the model's reply could not be used ({type(exc).__name__})"
