"""The group robots' webhooks: each platform's message shape and signing rule, and the HTTP post.

No Django here. The clock is passed in, so a signature can be checked against a fixed time.

- WeCom (企业微信): the key is in the webhook address; no signing. Markdown ≤ 4096 bytes.
- DingTalk (钉钉): `timestamp` (ms) and `sign` in the query string, where
  sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).
- Feishu (飞书): `timestamp` (s) and `sign` in the JSON body, where
  sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — key and message are the
  reverse of DingTalk's.

Each platform may answer an error with HTTP 200, so success is read from the body: `errcode`
0 (WeCom, DingTalk) or `code` 0 (Feishu).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

WECOM = "wecom"
DINGTALK = "dingtalk"
FEISHU = "feishu"

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000  # the documented markdown cap is 20,000 bytes with the JSON around
FEISHU_MAX_BYTES = 18000  # the body cap is said to be 20 KB (unverified): stay well below
TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The platform refused the message or could not be reached; the text says why."""


@dataclass(frozen=True)
class RobotText:
    """What a robot posts: a title and lines of text, each with an optional link."""

    title: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: dict[str, object]

    def data(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def truncate_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character (a Chinese character is 3 bytes)."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit - 3].decode(errors="ignore") + "…"


def _markdown(text: RobotText) -> str:
    lines = [f"[{line}]({url})" if url else line for line, url in text.lines]
    return "\n".join([f"**{text.title}**", *lines])


def _plain(text: RobotText) -> str:
    lines = [f"{line} {url}" if url else line for line, url in text.lines]
    return "\n".join([text.title, *lines])


def wecom_request(webhook: str, text: RobotText) -> Outgoing:
    return Outgoing(webhook, {"msgtype": "markdown", "markdown": {
        "content": truncate_bytes(_markdown(text), WECOM_MAX_BYTES)}})


def dingtalk_request(webhook: str, secret: str, text: RobotText, now: datetime) -> Outgoing:
    url = webhook
    if secret:
        timestamp = int(now.timestamp() * 1000)
        separator = "&" if urllib.parse.urlsplit(webhook).query else "?"
        url = f"{webhook}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
    return Outgoing(url, {"msgtype": "markdown", "markdown": {
        "title": text.title, "text": truncate_bytes(_markdown(text), DINGTALK_MAX_BYTES)}})


def feishu_request(webhook: str, secret: str, text: RobotText, now: datetime) -> Outgoing:
    body: dict[str, object] = {}
    if secret:
        timestamp = int(now.timestamp())
        body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp)}
    body.update({"msg_type": "text",
                 "content": {"text": truncate_bytes(_plain(text), FEISHU_MAX_BYTES)}})
    return Outgoing(webhook, body)


def build_request(kind: str, *, webhook: str, secret: str, text: RobotText,
                  now: datetime) -> Outgoing:
    if kind == WECOM:
        return wecom_request(webhook, text)
    if kind == DINGTALK:
        return dingtalk_request(webhook, secret, text, now)
    if kind == FEISHU:
        return feishu_request(webhook, secret, text, now)
    raise ValueError(f"unknown robot platform: {kind}")


def post(outgoing: Outgoing, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Send the message; DeliveryError unless the platform accepted it."""
    scheme = urllib.parse.urlsplit(outgoing.url).scheme
    if scheme not in {"http", "https"}:
        raise DeliveryError(f"not a web address: {scheme or '?'}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        outgoing.url, data=outgoing.data(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code}: {error.read(500).decode(errors='replace')}"
                            ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"unreachable: {reason}") from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryError(f"not JSON: {raw[:200].decode(errors='replace')}") from None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(
        answer, dict) else 0
    if code not in (0, "0"):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage")
        raise DeliveryError(f"refused: {code} {message or ''}".strip())
