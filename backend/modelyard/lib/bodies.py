"""Rules every request body meets before a handler reads it: the media type the operation
declares (415 otherwise), a bound on JSON nesting (400 otherwise) and strict JSON types (422
otherwise: `"10"` is not an integer, although Litestar converts leniently for query strings).

msgspec decodes recursively: a 2 KB body of 1000 nested brackets exhausts the recursion limit
and was a 500 with a traceback, on public endpoints too. Counting brackets first is cheap.

A number beyond the float range (`1e309`) where the schema declares no type (a prediction
record's values) decodes to infinity, for the record's own checks to report, instead of failing
the whole body; where the schema declares a number it stays a 422 at that field.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException
from litestar.params import BodyKwarg
from litestar.types import Empty

MAX_JSON_DEPTH = 64
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper than the limit: skip the scan on the common path
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


_AT = re.compile(r" - at `\$(?P<at>[^`]*)`$")


@functools.cache
def _strict_decoder(annotation: Any) -> msgspec.json.Decoder[Any] | None:
    try:
        return msgspec.json.Decoder(annotation, strict=True, float_hook=float)
    except TypeError:  # not a type msgspec can decode directly: Litestar's own checks apply
        return None


def check_strict_types(annotation: Any, body: bytes) -> None:
    """Raise a 422 (through Litestar's validation error) when the JSON body only fits its schema
    by converting types, e.g. a string of digits where an integer is declared."""
    decoder = _strict_decoder(annotation)
    if decoder is None or not body.strip():
        return
    try:
        decoder.decode(body)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _AT.search(message)
        path = (found["at"] if found else "").replace("[", ".").replace("]", "")
        message = message[: found.start()] if found else message
        raise ValidationException(
            extra=[{"message": message, "key": path.lstrip("."), "source": "body"}]
        ) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's parser reports it as a 400


_UNTYPED = msgspec.json.Decoder(float_hook=float)


class ApiRequest(Request[Any, Any, Any]):
    """The app's request class: JSON bodies decoded as above (untyped floats beyond the range are
    infinite, not a decoding error)."""

    async def json(self) -> Any:
        if self._api_json is Empty:
            try:
                self._api_json = _UNTYPED.decode(await self.body() or b"null")
            except msgspec.DecodeError as exc:
                raise SerializationException(str(exc)) from exc
        return self._api_json

    _api_json: Any = Empty


def _expected_media_type(request: Request[Any, Any, Any]) -> str | None:
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return None
    kwarg = parameter.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type:
        media_type = kwarg.media_type
        return media_type.value if isinstance(media_type, RequestEncodingType) else str(media_type)
    return RequestEncodingType.JSON.value


async def check_request_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: refuse a body of the wrong media type or nested too deeply."""
    expected = _expected_media_type(request)
    if expected is None:
        return
    sent = request.content_type[0]
    is_json = expected == RequestEncodingType.JSON.value
    # No Content-Type at all is read as the declared type (curl without -H); a different one is not.
    if sent and sent != expected and not (is_json and sent.endswith("+json")):
        raise HTTPException(
            status_code=415,
            detail=f"This operation reads `{expected}`; the body was sent as `{sent}`.",
        )
    if is_json:
        body = await request.body()
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ClientException(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        parameter = request.route_handler.parsed_fn_signature.parameters["data"]
        check_strict_types(parameter.annotation, body)
