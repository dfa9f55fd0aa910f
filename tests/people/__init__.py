"""Roles, scopes and quotas against the live services (a package, so that its conftest does not shadow tests/conftest.py)."""
