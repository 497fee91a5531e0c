"""Discord's documented limits, in one place: every module that builds a payload reads them here."""

from __future__ import annotations

MESSAGE_CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBEDS_TOTAL = 6000  # every title, description, field, footer and author of one message
CHOICES = 25  # autocomplete choices, and options of a select menu
CHOICE_NAME = 100
CHOICE_VALUE = 100
BUTTON_LABEL = 80
BUTTONS_PER_VIEW = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_DESCRIPTION = 100
MODAL_TITLE = 45
LABEL_TEXT = 45  # a modal field's label
TEXT_INPUT_VALUE = 4000
CUSTOM_ID = 100
