"""Settings shared by the whole suite."""

import os

from hypothesis import HealthCheck, settings

# A few hundred bot and CLI processes start during a run, and each would compile the project's
# modules again without bytecode (a fifth of its start-up). The variable is dropped here, before
# pytest-xdist starts its workers, so the workers and every process they start write and reuse
# __pycache__ (which git ignores); this process already read it and is unaffected.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Property tests check behaviour, not speed: no per-example deadline and no "too slow" health
# check, which would fail at random on a loaded machine. Tests leave the number of examples to
# the profile: 50 each by default, 1,000 with `pytest --hypothesis-profile=thorough`, worth a
# run after changing a parser, the renderer, the matcher or the YAML format.
settings.register_profile(
    "suite",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", settings.get_profile("suite"), max_examples=1000)
settings.load_profile("suite")
