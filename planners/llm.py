"""LLM planner: text -> Scene through any OpenAI-compatible chat API with structured (JSON) output.

Configuration: arguments, else the environment (CASCADE_LLM_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY).
A reply that is not a valid scene gets one repair round; after that a PlannerError, or with
fallback="rules" the rule planner's scene and a warning (also when the server cannot be reached or misses
the deadline). The API key never appears in messages or in the planned scene.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

from cascade.limits import MAX_TEXT
from cascade.scene import Scene
from planners import Planner, PlannerError, get
from planners.llm_prompt import InvalidReply, Refusal, parse_reply, repair_message, reply_json_schema, system_prompt, user_message

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_URL = "https://api.openai.com/v1"
LOCAL_KEY = "no-key-needed"
MAX_ECHOED_REPLY = 20000

log = logging.getLogger("cascade")


DEFAULT_TIMEOUT = 120.0  # s for the whole plan: every request, retry and repair round


class _SchemaRejected(Exception):
    """The server refused `response_format` of type json_schema."""


class _Transport(PlannerError):
    """The server could not be reached or did not answer usably (the rule planner may stand in)."""


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _deadline_seconds(timeout: float | None) -> float:
    if timeout is None:
        raw = _env("CASCADE_LLM_TIMEOUT")
        try:
            timeout = float(raw) if raw is not None else DEFAULT_TIMEOUT
        except ValueError:
            raise PlannerError(f"CASCADE_LLM_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 3600):
        raise PlannerError(f"the LLM timeout must be in (0, 3600] seconds, got {timeout!r}")
    return float(timeout)


class LLMPlanner(Planner):
    """Plans scenes with a chat model behind an OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama).

    `timeout` (s; default $CASCADE_LLM_TIMEOUT or 120) bounds the whole plan, retries and the repair round
    included, however slowly a server trickles its answer; `max_retries` retries rate limits and server errors.
    """

    name = "openai"

    def __init__(self, model: str | None = None, base_url: str | None = None, api_key: str | None = None,
                 timeout: float | None = None, max_retries: int = 2, fallback: Literal["rules"] | None = None) -> None:
        if fallback not in (None, "rules"):
            raise PlannerError(f"unknown fallback '{fallback}'; use 'rules' or none")
        try:
            import openai
        except ImportError:
            raise PlannerError("the openai planner needs the openai package: pip install 'text2spatial-cascade[llm]'") from None
        self.model = model or _env("CASCADE_LLM_MODEL") or DEFAULT_MODEL
        base_url = base_url or _env("OPENAI_BASE_URL")
        api_key = api_key or _env("OPENAI_API_KEY")
        if api_key is None and base_url is None:
            raise PlannerError("the openai planner needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL / "
                               "--llm-base-url (for a local OpenAI-compatible server)")
        self.base_url = base_url or OPENAI_URL
        self.fallback = fallback
        self._secret = api_key
        self._openai = openai
        self._timeout = _deadline_seconds(timeout)
        self._retries = max_retries
        self._client = self._new_client()
        self._strict = True
        self._prompt = system_prompt()
        self._deadline = 0.0

    def _new_client(self) -> Any:
        return self._openai.OpenAI(api_key=self._secret or LOCAL_KEY, base_url=self.base_url, timeout=self._timeout,
                                   max_retries=self._retries)

    def __repr__(self) -> str:
        return f"LLMPlanner(model={self.model!r}, base_url={self.base_url!r})"

    def plan(self, text: str) -> Scene:
        """A validated Scene for `text`; PlannerError on refusal, transport failure, deadline or invalid output
        (with fallback="rules": the rule planner's scene and a one-line warning, except on a refusal)."""
        if not isinstance(text, str) or not text.strip():
            raise PlannerError("the scene description is empty")
        if len(text) > MAX_TEXT:
            raise PlannerError(f"the scene description has {len(text)} characters; the limit is {MAX_TEXT}, shorten it")
        self._deadline = time.monotonic() + self._timeout
        try:
            return self._scrubbed(self._plan(text))
        except _Transport as err:
            if self.fallback != "rules":
                raise
            return self._rules(text, str(err))

    def _plan(self, text: str) -> Scene:
        messages = [{"role": "system", "content": self._prompt}, {"role": "user", "content": user_message(text)}]
        content, problems = "", list[str]()
        for attempt in range(2):
            if attempt:
                messages += [{"role": "assistant", "content": content[:MAX_ECHOED_REPLY]},
                             {"role": "user", "content": repair_message(problems)}]
            content = self._complete(messages)
            try:
                return parse_reply(content, text, self._prompt)
            except Refusal as refusal:
                raise PlannerError(f"the model refused to plan this scene: {self._scrub(str(refusal))}") from None
            except InvalidReply as invalid:
                problems = invalid.errors
        reason = self._scrub(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        raise _Transport(f"model '{self.model}' gave no valid scene after a repair round: {reason}; "
                         "try a stronger model or --fallback rules")

    def _rules(self, text: str, reason: str) -> Scene:
        log.warning(f"{reason.split('; ')[0]}; using the rule planner instead (--fallback rules)")
        scene = get("rules").plan(text)
        return scene if scene.text == text else scene.model_copy(update={"text": text})

    def _scrubbed(self, scene: Scene) -> Scene:
        """The scene with the API key blanked wherever a server copied it into the plan."""
        if not self._secret or self._secret not in scene.model_dump_json():
            return scene
        events = [e.model_copy(update={"description": self._scrub(e.description)}) for e in scene.events]
        return scene.model_copy(update={"events": events})

    def _complete(self, messages: list[dict[str, str]]) -> str:
        if self._strict:
            strict = {"type": "json_schema", "json_schema": {"name": "scene", "strict": True, "schema": reply_json_schema()}}
            try:
                return self._send(messages, strict)
            except _SchemaRejected:
                self._strict = False
        return self._send(messages, {"type": "json_object"})

    def _send(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> str:
        """One chat completion within what is left of the deadline; the request runs in a worker thread so that a
        server trickling its answer byte by byte is cut off when the deadline passes (its connection is closed)."""
        where = f"the LLM server at {self.base_url}"
        late = _Transport(f"{where} did not finish answering within {self._timeout:g} s; check the server, "
                          "or raise the limit with --llm-timeout / CASCADE_LLM_TIMEOUT")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise late
        client = self._client
        worker = ThreadPoolExecutor(max_workers=1)
        future = worker.submit(client.with_options(timeout=remaining).chat.completions.create,
                               model=self.model, messages=messages, response_format=response_format)
        worker.shutdown(wait=False)
        try:
            response = future.result(timeout=remaining)
        except FutureTimeout:
            client.close()
            self._client = self._new_client()
            raise late from None
        except Exception as err:
            raise self._error(err, response_format, where, late) from None
        if not getattr(response, "choices", None):
            raise _Transport(f"{where} sent a reply without choices")
        message = response.choices[0].message
        if message.refusal:
            raise PlannerError(f"the model refused to plan this scene: {self._scrub(message.refusal)[:200]}")
        return message.content or ""

    def _error(self, err: Exception, response_format: dict[str, Any], where: str, late: PlannerError) -> Exception:
        """The one-line PlannerError for what the client raised."""
        openai = self._openai
        if isinstance(err, openai.APITimeoutError):
            return late
        if isinstance(err, openai.APIConnectionError):
            return _Transport(f"cannot connect to {where}; check --llm-base-url / OPENAI_BASE_URL and that the server runs")
        if isinstance(err, (openai.BadRequestError, openai.UnprocessableEntityError)):
            if response_format["type"] == "json_schema" and _rejects_schema(err):
                return _SchemaRejected()
            return PlannerError(f"{where} rejected the request: {self._detail(err)}")
        if isinstance(err, openai.AuthenticationError):
            return PlannerError(f"{where} rejected the API key (HTTP 401); check OPENAI_API_KEY")
        if isinstance(err, openai.NotFoundError):
            return PlannerError(f"{where} has no model '{self.model}' (HTTP 404: {self._detail(err)}); set --llm-model or CASCADE_LLM_MODEL")
        if isinstance(err, openai.APIStatusError):
            return _Transport(f"{where} answered HTTP {err.status_code}: {self._detail(err)}")
        if isinstance(err, (openai.APIError, ValueError)):  # ValueError: a body that is not JSON
            return _Transport(f"{where} sent an unusable answer (not an OpenAI chat completion): {self._detail(err)[:200]}")
        return _Transport(f"{where} failed: {type(err).__name__}: {self._detail(err)[:200]}")

    def _detail(self, err: Exception) -> str:
        body = getattr(err, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        message = str(message or getattr(err, "message", None) or err)
        return self._scrub(" ".join(message.split()))[:300]

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


def _rejects_schema(err: Exception) -> bool:
    message = f"{getattr(err, 'message', '')} {getattr(err, 'body', '')}".lower()
    return any(word in message for word in ("json_schema", "response_format", "structured output"))
