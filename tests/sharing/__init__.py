"""Private videos and share links against the live services (a package, so that its conftest does not shadow tests/conftest.py)."""
