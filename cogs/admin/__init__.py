"""The moderators' side: /glossary-admin, only in the servers that own the glossary."""

from __future__ import annotations

from bot.client import GlossaryBot
from cogs.admin.cog import GlossaryAdmin
from cogs.ui import ViewRoute


async def setup(bot: GlossaryBot) -> None:
    """Load the cog; its commands exist only in the servers that own the glossary."""
    cog = GlossaryAdmin(bot)
    await bot.add_cog(cog)
    bot.claim_for_home(cog.admin)
    bot.add_dynamic_items(ViewRoute)
