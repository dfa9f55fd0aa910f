"""The account tests' stack: MariaDB and S3, a database and bucket of its own, alice
(AUTH_USERNAME: an admin from the environment) and bob (AUTH_USERS_FILE); the tests add
their database users. Each test gets it with an empty login throttle: several make
failed attempts on purpose, and ten from 127.0.0.1 would lock the others out."""

from __future__ import annotations

import pytest

from harness import own_stack


@pytest.fixture(scope="session")
def account_stack(tmp_path_factory, mariadb, s3):
    yield from own_stack(tmp_path_factory.mktemp("account"), mariadb, s3, "account")


@pytest.fixture
def acct(account_stack):
    account_stack.query("DELETE FROM login_attempts")
    return account_stack
