"""Accounts: the account page and API, second factor, API tokens, the CLI login."""
