"""Exit codes of `python -m bot`, one per kind of failure, so a service manager can tell them apart.

2 to 5 mean that trying again will not help until someone changes a setting or a file: the
systemd unit in docs/ lists them in RestartPreventExitStatus=.
"""

OK = 0
# Something that may pass by itself: Discord unreachable, database busy or disk full.
FAILURE = 1
# The command line or a file given to it is wrong (unknown option, invalid YAML).
BAD_INPUT = 2
# A setting is missing or malformed (DISCORD_TOKEN unset, LOG_LEVEL=loud, ...).
CONFIG = 3
# Discord refused the settings: token rejected, intent not enabled, gateway URL not a gateway.
DISCORD_REFUSED = 4
# The database cannot be used: missing, unreadable, not this bot's, corrupt, too new.
DATABASE = 5
INTERRUPTED = 130
