"""The clinician service (FastAPI): ``create_app(settings)``; see docs/api.md."""

from triage.api.settings import Settings

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings, engine=None):  # lazy: keep `import triage.api` cheap
    from triage.api.app import create_app as _create

    return _create(settings, engine)
