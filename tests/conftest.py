"""Settings shared by the whole suite."""

import os

from hypothesis import HealthCheck, settings

# Some 300 bot and CLI processes start during a run, and each would compile the project's
# modules again without bytecode (a fifth of its start-up). The variable is dropped here, before
# pytest-xdist starts its workers, so the workers and every process they start write and reuse
# __pycache__ (which git ignores); this process already read it and is unaffected.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Property tests check behaviour, not speed: no per-example deadline and no "too slow" health
# check, which would fail at random on a loaded machine. Tests may still set their own counts.
settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("suite")
