"""LLM planner: text -> Scene through any OpenAI-compatible chat API with structured (JSON) output.

Configuration: arguments, else the environment (CASCADE_LLM_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY).
A reply that is not a valid scene gets one repair round; after that a PlannerError, or with
fallback="rules" the rule planner's scene and a warning. The API key never appears in messages.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Literal

from cascade.limits import MAX_TEXT
from cascade.scene import Scene
from planners import Planner, PlannerError, get
from planners.llm_prompt import InvalidReply, Refusal, parse_reply, repair_message, reply_json_schema, system_prompt, user_message

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_URL = "https://api.openai.com/v1"
LOCAL_KEY = "no-key-needed"
MAX_ECHOED_REPLY = 20000


class _SchemaRejected(Exception):
    """The server refused `response_format` of type json_schema."""


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


class LLMPlanner(Planner):
    """Plans scenes with a chat model behind an OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama)."""

    name = "openai"

    def __init__(self, model: str | None = None, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, max_retries: int = 3, fallback: Literal["rules"] | None = None) -> None:
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
        self._client = openai.OpenAI(api_key=api_key or LOCAL_KEY, base_url=self.base_url,
                                     timeout=timeout, max_retries=max_retries)
        self._timeout = timeout
        self._attempts = max_retries + 1
        self._strict = True
        self._prompt = system_prompt()

    def __repr__(self) -> str:
        return f"LLMPlanner(model={self.model!r}, base_url={self.base_url!r})"

    def plan(self, text: str) -> Scene:
        """A validated Scene for `text`; PlannerError on refusal, transport failure or invalid output."""
        if not text or not text.strip():
            raise PlannerError("the scene description is empty")
        if len(text) > MAX_TEXT:
            raise PlannerError(f"the scene description has {len(text)} characters; the limit is {MAX_TEXT}, shorten it")
        messages = [{"role": "system", "content": self._prompt}, {"role": "user", "content": user_message(text)}]
        content, problems = "", []
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
        return self._give_up(text, problems)

    def _give_up(self, text: str, problems: list[str]) -> Scene:
        reason = self._scrub(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        if self.fallback != "rules":
            raise PlannerError(f"model '{self.model}' gave no valid scene after a repair round: {reason}; "
                               "try a stronger model or --fallback rules")
        warnings.warn(f"model '{self.model}' gave no valid scene after a repair round ({reason}); "
                      "using the rule planner instead", stacklevel=3)
        scene = get("rules").plan(text)
        return scene if scene.text == text else scene.model_copy(update={"text": text})

    def _complete(self, messages: list[dict[str, str]]) -> str:
        if self._strict:
            strict = {"type": "json_schema", "json_schema": {"name": "scene", "strict": True, "schema": reply_json_schema()}}
            try:
                return self._send(messages, strict)
            except _SchemaRejected:
                self._strict = False
        return self._send(messages, {"type": "json_object"})

    def _send(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> str:
        openai = self._openai
        where = f"the LLM server at {self.base_url}"
        try:
            response = self._client.chat.completions.create(model=self.model, messages=messages, response_format=response_format)
        except openai.APITimeoutError:
            raise PlannerError(f"{where} did not answer within {self._timeout:g} s ({self._attempts} attempts); "
                               "check the server or raise the planner's timeout") from None
        except openai.APIConnectionError:
            raise PlannerError(f"cannot connect to {where}; check --llm-base-url / OPENAI_BASE_URL and that the server runs") from None
        except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
            if response_format["type"] == "json_schema" and _rejects_schema(err):
                raise _SchemaRejected from None
            raise PlannerError(f"{where} rejected the request: {self._detail(err)}") from None
        except openai.AuthenticationError:
            raise PlannerError(f"{where} rejected the API key (HTTP 401); check OPENAI_API_KEY") from None
        except openai.NotFoundError as err:
            raise PlannerError(f"{where} has no model '{self.model}' (HTTP 404: {self._detail(err)}); "
                               "set --llm-model or CASCADE_LLM_MODEL") from None
        except openai.APIStatusError as err:
            raise PlannerError(f"{where} answered HTTP {err.status_code}: {self._detail(err)}") from None
        except openai.APIError as err:
            raise PlannerError(f"{where} sent an unusable answer: {self._detail(err)}") from None
        if not response.choices:
            raise PlannerError(f"{where} sent a reply without choices")
        message = response.choices[0].message
        if message.refusal:
            raise PlannerError(f"the model refused to plan this scene: {self._scrub(message.refusal)[:200]}")
        return message.content or ""

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
