"""Run a tiny stand-alone discord.py bot used only to test the fake Discord."""

from __future__ import annotations

import logging
import os

import discord
import yarl
from discord import app_commands
from discord.ext import commands

TERMS = ["pitch", "index rate", "epoch", "hubert", "f0 method", "crepe", "rmvpe"]


def configure_endpoints() -> None:
    """Point discord.py at the endpoints named in the environment."""
    api = os.environ.get("DISCORD_API_BASE_URL")
    if api:
        discord.http.Route.BASE = api.rstrip("/")
    gateway = os.environ.get("DISCORD_GATEWAY_URL")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


class ClickView(discord.ui.View):
    """Hold one button that answers who clicked it."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Click", custom_id="mini:click", style=discord.ButtonStyle.primary)
    async def click(
        self, interaction: discord.Interaction, button: discord.ui.Button[ClickView]
    ) -> None:
        """Reply with the clicking user's id."""
        await interaction.response.send_message(f"clicked by {interaction.user.id}", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """Ask for one line of feedback."""

    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Feedback", custom_id="mini:feedback:text"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="mini:feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Thank the user, echoing what they typed."""
        await interaction.response.send_message(f"thanks: {self.text.value}")


class MinimalBot(commands.Bot):
    """Serve /ping, /lookup (autocomplete), /button, /feedback and a "!hi" listener."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def setup_hook(self) -> None:
        """Register commands and sync them globally."""
        self.tree.add_command(ping)
        self.tree.add_command(lookup)
        self.tree.add_command(button)
        self.tree.add_command(feedback)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        """Answer "!hi" from humans."""
        if message.author.bot:
            return
        if message.content == "!hi":
            await message.channel.send(f"hello {message.author.id}")


@app_commands.command(name="ping", description="Answer pong")
async def ping(interaction: discord.Interaction) -> None:
    """Reply pong."""
    await interaction.response.send_message("pong")


@app_commands.command(name="lookup", description="Look a term up")
@app_commands.describe(term="The term")
async def lookup(interaction: discord.Interaction, term: str) -> None:
    """Echo the chosen term."""
    await interaction.response.send_message(f"lookup: {term}")


@lookup.autocomplete("term")
async def lookup_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Suggest terms containing what was typed."""
    return [app_commands.Choice(name=t, value=t) for t in TERMS if current.lower() in t][:25]


@app_commands.command(name="button", description="Show a button")
async def button(interaction: discord.Interaction) -> None:
    """Send a message carrying the click button."""
    await interaction.response.send_message("press it", view=ClickView())


@app_commands.command(name="feedback", description="Open the feedback form")
async def feedback(interaction: discord.Interaction) -> None:
    """Open the feedback modal."""
    await interaction.response.send_modal(FeedbackModal())


def main() -> None:
    """Configure endpoints and run the bot until killed."""
    configure_endpoints()
    level = getattr(logging, os.environ.get("LOG_LEVEL", "INFO").upper(), logging.INFO)
    MinimalBot().run(os.environ["DISCORD_TOKEN"], log_level=level, root_logger=True)


if __name__ == "__main__":
    main()
