"""A language model behind the OpenAI chat-completions API (OpenAI itself or a compatible server).

The answer format is enforced twice: the request asks for strict JSON-schema output
(the schema is generated from the same msgspec Structs the API returns), and the answer
is decoded and checked with msgspec (plus: every column it names must exist). An
unusable answer gets one repair attempt (the problem is shown to the model); a second
failure, or a transport error after the client's own retries with backoff (429, 5xx,
timeouts), raises `AnalystFailure`, which the service turns into a heuristic fallback or
a failed job (setting `fallback`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import msgspec
import openai
import structlog

from modelyard.domain.analysis import heuristic, privacy, prompts
from modelyard.domain.analysis.providers import AnalystFailure, Authored, DatasetRequest, ModelRequest, Usage
from modelyard.domain.analysis.schemas import DatasetAnalysisResult, ModelNarrative, Provenance
from modelyard.observability.metrics import observe_llm_call
from modelyard.settings import AnalysisSettings

log = structlog.get_logger("modelyard.analysis")

T = TypeVar("T", DatasetAnalysisResult, ModelNarrative)

# Keywords outside the subset strict structured outputs accept (on OpenAI or on compatible
# servers); msgspec still enforces every one of them when the answer is decoded.
_UNSUPPORTED_KEYWORDS = frozenset(
    {
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "minimum",
        "maximum",
        "examples",
        "default",
        "format",
        "title",
    }
)
MAX_REPAIRS = 1


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _strip(sub) for name, sub in value.items()}
        elif key not in _UNSUPPORTED_KEYWORDS:
            out[key] = _strip(value)
    return out


def strict_json_schema(struct: type[Any]) -> dict[str, Any]:
    """The struct's JSON schema as strict mode wants it: an object at the root, `$defs` for the rest."""
    schema = msgspec.json.schema(struct)
    defs = copy.deepcopy(schema.get("$defs", {}))
    root = defs.pop(schema["$ref"].rsplit("/", 1)[-1])
    stripped: dict[str, Any] = _strip(root)
    if defs:
        stripped["$defs"] = _strip(defs)
    return stripped


def _unknown_columns(result: DatasetAnalysisResult, known: set[str]) -> list[str]:
    named = [t.column for t in result.target_suggestions] + [e.column for e in result.exclude_columns]
    named += [c for f in result.findings for c in f.columns] + [
        c for s in result.preprocessing for c in s.columns
    ]
    return sorted({c for c in named if c not in known})


class OpenAIAnalyst:
    name: Literal["openai"] = "openai"

    def __init__(self, settings: AnalysisSettings) -> None:
        self.settings = settings
        self.model = settings.model
        self.client = openai.AsyncOpenAI(
            api_key=settings.openai_api_key or "not-needed",  # compatible servers often need none
            base_url=settings.openai_base_url,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )
        self._probe_at = float("-inf")
        self._probe_result: str | Exception = "not checked yet"
        self._schemas = {
            DatasetAnalysisResult: strict_json_schema(DatasetAnalysisResult),
            ModelNarrative: strict_json_schema(ModelNarrative),
        }

    @property
    def endpoint(self) -> str:
        return str(self.client.base_url).rstrip("/")

    async def close(self) -> None:
        await self.client.close()

    async def probe(self) -> str:
        """Lists models at most once per `readiness_cache_s`; later probes reuse the answer."""
        now = time.monotonic()
        if now - self._probe_at >= self.settings.readiness_cache_s:
            self._probe_at = now
            try:
                await self.client.with_options(max_retries=0, timeout=5.0).models.list()
            except openai.OpenAIError as exc:
                self._probe_result = exc
            else:
                self._probe_result = "reachable"
        age = f"checked {now - self._probe_at:.0f} s ago"
        if isinstance(self._probe_result, Exception):
            problem = f"{type(self._probe_result).__name__}: {self._probe_result}"[:200]
            if not self.settings.fallback:
                raise RuntimeError(f"openai {self.model} at {self.endpoint}: {problem} ({age})")
            return (
                f"openai {self.model} at {self.endpoint}: unreachable ({problem}; {age}); "
                "analyses fall back to the heuristic analyst"
            )
        return f"openai {self.model} at {self.endpoint}: {self._probe_result} ({age})"

    # -- workflows -----------------------------------------------------------------------------

    async def analyse_dataset(self, request: DatasetRequest) -> Authored[DatasetAnalysisResult]:
        targets = heuristic.rank_targets(request.profile, request.target_hint)
        brief = privacy.dataset_brief(
            request.profile,
            targets,
            request.signals,
            send_samples=self.settings.send_samples,
            max_chars=self.settings.max_prompt_chars,
            target_hint=request.target_hint,
        )
        known = {c.name for c in request.profile.column_profiles}

        def check(result: DatasetAnalysisResult) -> str | None:
            unknown = _unknown_columns(result, known)
            return f"it names columns that do not exist: {', '.join(unknown[:10])}" if unknown else None

        return await self._author(
            prompts.dataset_messages(brief), DatasetAnalysisResult, "dataset_analysis", check
        )

    async def narrate_model(self, request: ModelRequest) -> Authored[ModelNarrative]:
        brief = prompts.model_brief(request.facts, send_samples=self.settings.send_samples)
        known = {f.feature for f in request.facts.feature_importance}

        def check(result: ModelNarrative) -> str | None:
            unknown = sorted({d.feature for d in result.drivers} - known) if known else []
            return f"it names features that do not exist: {', '.join(unknown[:10])}" if unknown else None

        return await self._author(prompts.model_messages(brief), ModelNarrative, "model_narrative", check)

    async def _author(
        self,
        messages: list[dict[str, str]],
        result_type: type[T],
        schema_name: str,
        check: Callable[[T], str | None],
    ) -> Authored[T]:
        started = time.perf_counter()
        usage = Usage()
        conversation: list[Any] = list(messages)
        problem = "no answer"
        for _ in range(1 + MAX_REPAIRS):
            usage.attempts += 1
            content = await self._call(conversation, result_type, schema_name, usage)
            problem_or_result = self._parse(content, result_type, check)
            if not isinstance(problem_or_result, str):
                return Authored(
                    problem_or_result,
                    Provenance(
                        provider="openai",
                        model=self.model,
                        prompt_version=prompts.PROMPT_VERSION,
                        token_usage=usage.schema(),
                        latency_ms=round((time.perf_counter() - started) * 1000, 2),
                        attempts=usage.attempts,
                        fallback_used=False,
                        fallback_reason=None,
                    ),
                )
            problem = problem_or_result
            log.warning("language model answer unusable", model=self.model, problem=problem)
            if content:
                conversation.append({"role": "assistant", "content": content[:20_000]})
            conversation.append({"role": "user", "content": prompts.REPAIR.format(problem=problem)})
        raise AnalystFailure(
            f"The language model ({self.model}) gave no usable answer in {usage.attempts} attempts "
            f"(one repair): {problem}.",
            usage,
        )

    def _parse(self, content: str | None, result_type: type[T], check: Callable[[T], str | None]) -> T | str:
        if content is None:
            return "the answer had no choices or no content"
        try:
            result = msgspec.json.decode(content, type=result_type)
        except msgspec.ValidationError as exc:
            return f"it does not match the schema: {exc}"
        except msgspec.DecodeError as exc:
            return f"it is not valid JSON: {exc}"
        return check(result) or result

    async def _call(
        self, messages: list[Any], result_type: type[T], schema_name: str, usage: Usage
    ) -> str | None:
        """One chat completion (the client retries 429/5xx/timeouts itself); the answer's text or None."""
        started = time.perf_counter()
        outcome = "error"
        prompt_tokens = completion_tokens = 0
        try:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=self.settings.max_tokens,
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema_name,
                        "schema": self._schemas[result_type],
                        "strict": True,
                    },
                },
            )
            if response.usage is not None:
                prompt_tokens = response.usage.prompt_tokens or 0
                completion_tokens = response.usage.completion_tokens or 0
                usage.prompt_tokens += prompt_tokens
                usage.completion_tokens += completion_tokens
            content, outcome = _answer(response)
            return content
        except openai.OpenAIError as exc:
            if isinstance(exc, openai.APITimeoutError):
                outcome = "timeout"
            raise self._failure(exc, usage) from exc
        finally:
            observe_llm_call(
                provider=self.name,
                model=self.model,
                outcome=outcome,
                duration_seconds=time.perf_counter() - started,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )

    def _failure(self, exc: openai.OpenAIError, usage: Usage) -> AnalystFailure:
        """What went wrong with a call, for the job's error or the fallback's provenance."""
        if isinstance(exc, openai.APITimeoutError):
            return AnalystFailure(
                f"The language model at {self.endpoint} did not answer within {self.settings.timeout_s:g} s "
                f"({self.settings.max_retries} retries).",
                usage,
            )
        if isinstance(exc, openai.APIStatusError):
            return AnalystFailure(
                f"The language model at {self.endpoint} answered HTTP {exc.status_code} "
                f"after {self.settings.max_retries} retries: {_short(exc.message)}",
                usage,
            )
        if isinstance(exc, openai.APIConnectionError):
            return AnalystFailure(f"Could not connect to the language model at {self.endpoint}: {exc}", usage)
        return AnalystFailure(f"The language model call failed: {_short(str(exc))}", usage)


def _answer(response: Any) -> tuple[str | None, str]:
    """The answer's text (None when refused or empty) and the call's outcome label."""
    choice = response.choices[0] if response.choices else None
    content = choice.message.content if choice is not None else None
    if choice is not None and choice.message.refusal:
        content = None
    outcome = "success" if content else "invalid_output"
    if choice is not None and choice.finish_reason == "length":
        outcome = "invalid_output"
    return content, outcome


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
