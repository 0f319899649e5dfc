"""The judged tier: an OpenAI-compatible model grades claims and answers.

It runs only when a judge is configured (``ASSISTANT_JUDGE_MODEL`` and a base URL or key).
Every verdict is cached on disk under a hash of the prompt, the model and the input, so a
re-run of an unchanged suite makes no calls at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ..answering import prompts
from ..answering.citations import split_answer
from ..settings import Settings
from .golden import Case
from .scoring import CaseResult

_JSON = re.compile(r"\{[^{}]*\}")


def configured(settings: Settings) -> bool:
    return bool(settings.judge_model and (settings.judge_base_url or settings.judge_api_key))


class Judge:
    def __init__(self, settings: Settings, cache_dir: Path) -> None:
        from openai import OpenAI

        self.model = settings.judge_model or ""
        self._client = OpenAI(
            base_url=settings.judge_base_url,
            api_key=settings.judge_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        self._cache = cache_dir
        self._cache.mkdir(parents=True, exist_ok=True)
        self.claim_prompt = prompts.load("judge_claim")
        self.answer_prompt = prompts.load("judge_answer")
        self.calls = 0
        self.cache_hits = 0

    def grade(self, case: Case, result: CaseResult) -> dict[str, Any]:
        """Per-claim faithfulness to the cited quotes, and correctness against the case."""
        if result.refused or not case.answerable:
            return {}
        quotes = {c["n"]: c["quote"] for c in result.citations}
        claims = []
        for claim, numbers in split_answer(result.answer):
            cited = [quotes[n] for n in numbers if n in quotes]
            passages = "\n".join(f"<passage>{q}</passage>" for q in cited) or "<passage></passage>"
            verdict = self._ask(self.claim_prompt, "supported", passages=passages, claim=claim)
            claims.append({"claim": claim, "supported": verdict})
        facts = "\n".join("- " + " / ".join(g) for g in case.facts)
        correct = self._ask(self.answer_prompt, "correct", question=case.question, facts=facts, answer=result.answer)
        return {"claims": claims, "correct": correct}

    def _ask(self, prompt: prompts.Prompt, key: str, **values: str) -> bool | None:
        text = prompt.render(**values)
        digest = hashlib.sha256(f"{prompt.sha256}\n{self.model}\n{text}".encode()).hexdigest()
        cached = self._cache / f"{digest}.json"
        if cached.exists():
            self.cache_hits += 1
            return json.loads(cached.read_text())["verdict"]
        self.calls += 1
        reply = self._client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": text}], temperature=0
        )
        content = reply.choices[0].message.content or ""
        verdict = _parse(content, key)
        cached.write_text(json.dumps({"verdict": verdict, "reply": content}))
        return verdict


def _parse(content: str, key: str) -> bool | None:
    for match in _JSON.findall(content):
        try:
            value = json.loads(match).get(key)
        except ValueError:
            continue
        if isinstance(value, bool):
            return value
    lowered = content.strip().lower()
    if lowered.startswith(("yes", "true")):
        return True
    if lowered.startswith(("no", "false")):
        return False
    return None


def summarise(judged: list[dict[str, Any]]) -> dict[str, float | None]:
    """Shares of judged claims and cases; n/a (None) when the judge gave no usable verdict."""
    verdicts = [c["supported"] for j in judged for c in j.get("claims", [])]
    claims = [v for v in verdicts if v is not None]
    answers = [j.get("correct") for j in judged if "correct" in j]
    correct = [v for v in answers if v is not None]
    return {
        "judged_faithfulness": round(sum(claims) / len(claims), 4) if claims else None,
        "judged_correctness": round(sum(correct) / len(correct), 4) if correct else None,
        "judged_claims": float(len(claims)),
        "judge_unusable_verdicts": float(verdicts.count(None) + answers.count(None)),
    }
