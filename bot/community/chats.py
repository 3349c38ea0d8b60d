"""A community's group chats: where a notice goes, and the relay between them."""

from __future__ import annotations

from bot.community import communities
from bot.domain.models import Chat, Community
from bot.domain.work import Work


async def group_chats(work: Work, community_id: int) -> list[Chat]:
    """The community's linked group chats, on every platform."""
    return await communities.group_chats(work.session, community_id)


async def switch_relay(work: Work, community: Community, on: bool) -> None:
    """Pass members' messages on between the community's chats, or stop doing so."""
    community.relay = on
