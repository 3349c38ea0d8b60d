"""Telegram's rules, as the fake Bot API server in telegram_server.py enforces them.

Kept apart from the HTTP plumbing so the rules can be read (and unit tested)
on their own. Everything that decides *whether* Telegram accepts a call, and
with which words it refuses, lives here:

* ``ApiError`` is an error answer in Bot API shape; its descriptions copy
  Telegram's wording because bots (and PTB) match on them.
* ``decode_param`` decodes form/multipart values the way Telegram does.
* ``format_text`` applies ``parse_mode=HTML`` (``parse_html``) and the length
  limits; ``check_reply_markup`` and ``check_commands`` validate the rest.
* ``detect_entities`` adds the entities Telegram attaches to *incoming* user
  messages (bot commands, @mentions, URLs).
* ``RateLimiter``: the flood limits (30 messages per second overall, 1 per
  second per private chat, 20 per minute per group) answered with 429.
* ``chat_member`` / ``chat_full_info`` / ``forward_origin`` build the objects
  whose required fields PTB insists on.

Offsets, lengths and size limits count UTF-16 code units like the Bot API.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """An error answer in Bot API shape; raised anywhere inside a method."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


# Form and multipart requests carry every value as a string (PTB sends objects
# as JSON strings); these fields are decoded the way Telegram decodes them.
_JSON_FIELDS = frozenset(
    "reply_markup commands scope entities caption_entities allowed_updates "
    "reply_parameters link_preview_options".split()
)
_INT_FIELDS = frozenset(
    "chat_id message_id offset limit timeout user_id max_connections "
    "reply_to_message_id cache_time message_thread_id".split()
)
_BOOL_FIELDS = frozenset(
    "show_alert drop_pending_updates disable_notification protect_content "
    "allow_sending_without_reply disable_web_page_preview has_spoiler".split()
)


def decode_param(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in _BOOL_FIELDS:
        return value.lower() == "true"
    return value


# Tag -> entity type. Besides the documented list Telegram also accepts
# <span class="tg-spoiler"> and <tg-emoji>; leaving them out would reject
# messages the real server delivers.
HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Only these named entities are decoded; anything else after "&" stays literal,
# exactly like Telegram does it.
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_SPACE = " \t\r\n"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; str(exc) is Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int]:
    """Return (decoded character(s), new position) for the "&" at ``pos``."""
    match = _ENTITY_RE.match(text, pos)
    if match:
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), match.end()
        elif name in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[name], match.end()
    return "&", pos + 1


def _unescape(value: str) -> str:
    out, pos = [], 0
    while pos < len(value):
        if value[pos] == "&":
            char, pos = _decode_entity(value, pos)
            out.append(char)
        else:
            out.append(value[pos])
            pos += 1
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the plain text
    attrs: dict[str, str]
    language: str | None = None  # set by a nested <code class="language-x"> in <pre>


def _read_start_tag(text: str, pos: int, byte_pos: int) -> tuple[str, dict[str, str], int]:
    """Parse ``<name attr="v" ...>`` starting at ``pos``; return name, attrs, end."""
    i, n = pos + 1, len(text)
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
    name = text[pos + 1 : i].lower()
    if name not in HTML_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte_pos}')
    attrs: dict[str, str] = {}
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
        if text[i] == ">":
            return name, attrs, i + 1
        attr_start = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>":
            i += 1
        attr = text[attr_start:i].lower()
        if not attr:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {byte_pos}'
            )
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            # HTML5 boolean attributes such as <blockquote expandable>.
            attrs[attr] = ""
            continue
        attrs[attr], i = _read_attr_value(text, i + 1, byte_pos)


def _read_attr_value(text: str, i: int, byte_pos: int) -> tuple[str, int]:
    """The value after ``attr=`` (quoted or bare) from ``i``; return it and its end."""
    n = len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
    if text[i] in "'\"":
        end = text.find(text[i], i + 1)
        if end < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_pos}")
        return _unescape(text[i + 1 : end]), end + 1
    value_start = i
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    return _unescape(text[value_start:i]), i


def _entity_for(tag: _OpenTag, end: int) -> dict[str, Any] | None:
    kind = HTML_TAGS[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": end - tag.start}
    if tag.name == "a":
        href = tag.attrs.get("href")
        if not href:
            return None  # Telegram keeps the text and drops a link without target
        entity["url"] = href
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) like Telegram's HTML parse mode, or raise."""
    out: list[str] = []
    u16 = 0  # UTF-16 length of ``out`` so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char != "<":
            if char == "&":
                char, i = _decode_entity(text, i)
            else:
                i += 1
            out.append(char)
            u16 += utf16_len(char)
            continue
        byte_pos = len(text[:i].encode())
        if i + 1 < n and text[i + 1] == "/":
            j = i + 2
            while j < n and text[j] not in _SPACE and text[j] != ">":
                j += 1
            name = text[i + 2 : j].lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {byte_pos}")
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {byte_pos}")
            tag = stack.pop()
            if name and name != tag.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {byte_pos}, "
                    f'expected "</{tag.name}>", found "</{name}>"'
                )
            language = tag.attrs.get("class", "")
            if tag.name == "code" and stack and stack[-1].name == "pre" and language:
                # <pre><code class="language-py"> is one "pre" entity with a language.
                stack[-1].language = language.removeprefix("language-")
            elif u16 > tag.start and (entity := _entity_for(tag, u16)):
                entities.append(entity)
            i = j + 1
            continue
        name, attrs, i = _read_start_tag(text, i, byte_pos)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_pos}'
            )
        stack.append(_OpenTag(name, u16, attrs))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def format_text(text: Any, parse_mode: Any, *, caption: bool = False) -> tuple[str, list[JSON]]:
    """Return (plain text, entities) for a text or caption, or raise Telegram's 400."""
    text = "" if text is None else str(text)
    entities: list[JSON] = []
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    elif mode not in ("", "markdown", "markdownv2"):  # Markdown is passed through unchecked
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    if utf16_len(text) > (MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH):
        what = "caption is" if caption else "is"
        raise ApiError(400, f"Bad Request: message {what} too long")
    return text, entities


def check_reply_markup(markup: Any) -> JSON | None:
    """Validate an inline keyboard; return it, or None for markup Telegram never echoes."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None  # reply keyboards and ForceReply are accepted but not part of the result
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if set(button) <= {"text"}:
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
    return markup


def check_commands(commands: Any) -> list[JSON]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError(400, "Bad Request: commands must be a list of at most 100 items")
    for command in commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


# Telegram marks these in every text a user sends, wherever they occur.
_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31})"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    entities = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        entities.append(
            {
                "type": match.lastgroup,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


_ADMIN_RIGHTS = dict.fromkeys(
    (
        "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
        "can_change_info can_invite_users can_pin_messages"
    ).split(),
    True,
)
_ADMIN_RIGHTS |= dict.fromkeys(
    (
        "can_be_edited is_anonymous can_promote_members can_post_stories "
        "can_edit_stories can_delete_stories"
    ).split(),
    False,
)


def chat_member(user: JSON, status: str) -> JSON:
    """A ChatMember; PTB refuses administrators and owners without their flag fields."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def chat_full_info(chat: JSON) -> JSON:
    gifts = "unlimited_gifts limited_gifts unique_gifts premium_subscription gifts_from_channels"
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gifts.split(), False),
    }


def forward_origin(source: JSON | str, date: int) -> JSON:
    """MessageOrigin for a user dict, a chat dict or a hidden user's name."""
    if isinstance(source, str):
        return {"type": "hidden_user", "date": date, "sender_user_name": source}
    if "type" not in source:
        return {"type": "user", "date": date, "sender_user": source}
    if source["type"] == "channel":
        return {"type": "channel", "date": date, "chat": source, "message_id": 1}
    return {"type": "chat", "date": date, "sender_chat": source}


@dataclass
class SlidingWindow:
    """At most ``limit`` hits per ``seconds`` for each key."""

    limit: int
    seconds: float
    _hits: dict[object, deque[float]] = field(default_factory=dict)

    def wait_time(self, key: object, now: float) -> float:
        """Seconds until one more hit for ``key`` fits (0 if it fits now)."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        return 0.0 if len(hits) < self.limit else hits[0] + self.seconds - now

    def add(self, key: object, now: float) -> None:
        self._hits.setdefault(key, deque()).append(now)


class RateLimiter:
    """Telegram's flood control for one bot.

    Positive chat ids are private chats, negative ones groups, supergroups and
    channels. Only performed calls are counted, because Telegram does not count
    the requests it refused.
    """

    def __init__(
        self,
        overall: tuple[int, float],
        private_chat: tuple[int, float],
        group_chat: tuple[int, float],
        clock: Callable[[], float],
    ) -> None:
        self.overall = SlidingWindow(*overall)
        self.private_chat = SlidingWindow(*private_chat)
        self.group_chat = SlidingWindow(*group_chat)
        self._clock = clock

    def acquire(self, chat_id: int, *, counts_overall: bool) -> None:
        """Count one call into the windows, or raise the 429 Telegram would answer."""
        now = self._clock()
        chat_window = self.private_chat if chat_id > 0 else self.group_chat
        windows = [(chat_window, chat_id)] + ([(self.overall, None)] if counts_overall else [])
        wait = max(window.wait_time(key, now) for window, key in windows)
        if wait > 0:
            # Telegram only ever says whole seconds, and never 0.
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        for window, key in windows:
            window.add(key, now)
