"""Make a password hash for AUTH_USERS_FILE: `python -m auth_svc.hashpw NAME`.

Prompts for the password (or reads it from standard input when not a terminal) and
prints the line `NAME:HASH` to append to the users file.
"""

from __future__ import annotations

import getpass
import sys

from werkzeug.security import generate_password_hash


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" in argv[0] or not argv[0].strip():
        print("usage: python -m auth_svc.hashpw USERNAME   (no colon in the name)", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("Use at least 8 characters.", file=sys.stderr)
        return 1
    print(f"{argv[0].strip()}:{generate_password_hash(password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
