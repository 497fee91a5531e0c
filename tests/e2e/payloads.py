"""Read what the bot sent: embed text, buttons and mention settings of a message body."""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]


def embeds_text(body: Body) -> str:
    """Return every visible string of a message body's embeds."""
    parts: list[str] = []
    for embed in body.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)


def components(body: Body) -> list[Body]:
    """Return every interactive component of a message body."""
    return [item for row in body.get("components") or [] for item in row.get("components", [])]


def buttons(body: Body) -> list[Body]:
    """Return every button of a message body."""
    return [item for item in components(body) if item.get("type") == 2]


def button_id(body: Body, label: str) -> str:
    """Return the custom id of the button with this label."""
    for item in buttons(body):
        if item.get("label") == label:
            return str(item["custom_id"])
    raise AssertionError(f"no button {label!r} in {components(body)}")


def pings_nobody(body: Body) -> bool:
    """Return whether a message body tells Discord to ping nobody at all."""
    allowed = body.get("allowed_mentions")
    return (
        isinstance(allowed, dict)
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user")
    )


def assert_no_mentions(body: Body) -> None:
    """Check that the bot asked Discord to ping nobody."""
    assert pings_nobody(body), body.get("allowed_mentions")
