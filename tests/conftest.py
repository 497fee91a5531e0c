"""Settings shared by the whole suite."""

from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed: no per-example deadline and no "too slow" health
# check, which would fail at random on a loaded machine. Tests may still set their own counts.
settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("suite")
