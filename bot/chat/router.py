"""Routes an incoming message to a handler: commands, button presses and dialog answers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.chat.platforms import COMMAND_PREFIXES

if TYPE_CHECKING:
    from bot.chat.context import Context

Handler = Callable[["Context"], Awaitable[None]]
Where = Literal["any", "direct", "group"]

# "/cmd", "/cmd@botname", "!cmd" followed by optional arguments.
_NUMBER = re.compile(r"[0-9]{1,3}")
_COMMAND = re.compile(
    rf"^[{re.escape(''.join(COMMAND_PREFIXES))}]"
    r"([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$",
    re.S,
)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    args: str
    addressed_to: str | None


def parse_command(text: str, username: str | None = None) -> ParsedCommand | None:
    """Split "/befehl@bot arg" into its parts; None when the text is no command.

    With the bot's own ``username``, its name written after the arguments counts as the
    address too: "/verbinden 1@DeinBot" is "/verbinden@DeinBot 1".
    """
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    name, target, args = match.groups()
    args = (args or "").strip()
    if username:
        suffix = "@" + username.lower()
        if args.lower().endswith(suffix):
            args = args[: -len(suffix)].strip()
            target = target or username
    return ParsedCommand(name.lower(), args, target)


def parse_choice(text: str, count: int) -> int | None:
    """A typed number "2" or "2." as a 0-based choice, when it is in range."""
    cleaned = text.strip().rstrip(".)").strip()
    # Only ASCII digits: str.isdigit() also accepts "²", which int() refuses.
    if _NUMBER.fullmatch(cleaned):
        number = int(cleaned)
        if 1 <= number <= count:
            return number - 1
    return None


@dataclass(slots=True)
class Command:
    names: tuple[str, ...]
    handler: Handler
    description: str
    roles: frozenset[str] = frozenset()
    where: Where = "any"
    listed: bool = True
    # False for commands that must work in chats not yet linked to a community.
    needs_community: bool = True
    # Who sees it in /hilfe when that differs from who may run it.
    list_roles: frozenset[str] = frozenset()

    def display_name(self, locale: str) -> str:
        """The German name for German readers, the English one for everyone else."""
        return self.names[1] if locale != "de" and len(self.names) > 1 else self.names[0]


@dataclass(slots=True)
class Router:
    """Holds handlers: each feature module fills its own, and ``include`` joins them into one."""

    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    states: dict[str, Handler] = field(default_factory=dict)
    # Roles a button or a dialog step needs (checked on every press and answer, so a role
    # taken away also stops the buttons handed out before).
    button_roles: dict[str, frozenset[str]] = field(default_factory=dict)
    state_roles: dict[str, frozenset[str]] = field(default_factory=dict)
    ordered: list[Command] = field(default_factory=list)
    # Named ways into a feature that another feature may start (a deep link's payload, the
    # first question of a help request), so no feature imports another's handlers.
    entries: dict[str, Handler] = field(default_factory=dict)
    on_join: Handler | None = None
    on_member_join: Handler | None = None
    on_first_contact: Handler | None = None
    on_group_text: Handler | None = None
    on_direct_text: Handler | None = None

    def command(
        self,
        *names: str,
        description: str,
        roles: Iterable[str] = (),
        where: Where = "any",
        listed: bool = True,
        needs_community: bool = True,
        aliases: Iterable[str] = (),
        list_roles: Iterable[str] = (),
    ) -> Callable[[Handler], Handler]:
        """Register a handler: German name, English name, then further aliases."""

        def decorate(handler: Handler) -> Handler:
            cmd = Command(
                tuple(names),
                handler,
                description,
                frozenset(roles),
                where,
                listed,
                needs_community,
                frozenset(list_roles) or frozenset(roles),
            )
            for name in (*names, *aliases):
                if name in self.commands:
                    raise ValueError(f"command {name!r} registered twice")
                self.commands[name] = cmd
            self.ordered.append(cmd)
            return handler

        return decorate

    def button(self, action: str, roles: Iterable[str] = ()) -> Callable[[Handler], Handler]:
        """Register the handler for a button action such as "lang.set"."""

        def decorate(handler: Handler) -> Handler:
            if action in self.buttons:
                raise ValueError(f"button action {action!r} registered twice")
            self.buttons[action] = handler
            if roles:
                self.button_roles[action] = frozenset(roles)
            return handler

        return decorate

    def state(self, name: str, roles: Iterable[str] = ()) -> Callable[[Handler], Handler]:
        """Register the handler that receives typed text while a dialog waits in ``name``."""

        def decorate(handler: Handler) -> Handler:
            if name in self.states:
                raise ValueError(f"dialog state {name!r} registered twice")
            self.states[name] = handler
            if roles:
                self.state_roles[name] = frozenset(roles)
            return handler

        return decorate

    def entry(self, name: str) -> Callable[[Handler], Handler]:
        """Register a named way into this feature, started by others with ``ctx.enter``."""

        def decorate(handler: Handler) -> Handler:
            if name in self.entries:
                raise ValueError(f"entry {name!r} registered twice")
            self.entries[name] = handler
            return handler

        return decorate

    def joined(self, handler: Handler) -> Handler:
        """Register the handler that greets when the bot is added to a chat."""
        if self.on_join is not None:
            raise ValueError("a join handler is registered already")
        self.on_join = handler
        return handler

    def member_joined(self, handler: Handler) -> Handler:
        """Register the handler that greets a person who just joined a linked group."""
        if self.on_member_join is not None:
            raise ValueError("a member join handler is registered already")
        self.on_member_join = handler
        return handler

    def first_contact(self, handler: Handler) -> Handler:
        """Register the handler that runs once, after a person's first private message."""
        if self.on_first_contact is not None:
            raise ValueError("a first-contact handler is registered already")
        self.on_first_contact = handler
        return handler

    def group_text(self, handler: Handler) -> Handler:
        """Register the handler for plain text in a linked group (not a command, no dialog)."""
        if self.on_group_text is not None:
            raise ValueError("a group text handler is registered already")
        self.on_group_text = handler
        return handler

    def direct_text(self, handler: Handler) -> Handler:
        """Register the handler for plain text in a private chat that answers no open
        question and picks no offered button."""
        if self.on_direct_text is not None:
            raise ValueError("a direct text handler is registered already")
        self.on_direct_text = handler
        return handler

    def include(self, other: Router) -> Router:
        """Add another router's handlers (a feature module's) to this one; names stay unique."""
        for cmd in other.ordered:
            for name in {name for name, known in other.commands.items() if known is cmd}:
                if name in self.commands:
                    raise ValueError(f"command {name!r} registered twice")
                self.commands[name] = cmd
            self.ordered.append(cmd)
        for table, theirs in (
            (self.buttons, other.buttons),
            (self.states, other.states),
            (self.button_roles, other.button_roles),
            (self.state_roles, other.state_roles),
            (self.entries, other.entries),
        ):
            twice = table.keys() & theirs.keys()
            if twice:
                raise ValueError(f"registered twice: {sorted(twice)}")
            table.update(theirs)
        for slot in (
            "on_join",
            "on_member_join",
            "on_first_contact",
            "on_group_text",
            "on_direct_text",
        ):
            handler = getattr(other, slot)
            if handler is not None:
                if getattr(self, slot) is not None:
                    raise ValueError(f"{slot} registered twice")
                setattr(self, slot, handler)
        return self

    def find(self, name: str) -> Command | None:
        return self.commands.get(name.lower())

    def available(self, roles: set[str], where: str) -> list[Command]:
        """Commands a person with these roles may use in this kind of chat, in order."""
        return [
            cmd
            for cmd in self.ordered
            if cmd.listed
            and (not cmd.list_roles or cmd.list_roles & roles)
            and (cmd.where == "any" or cmd.where == where)
        ]
