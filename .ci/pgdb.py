"""Create or drop a PostgreSQL database for one CI run: ``pgdb.py create|drop ADMIN_URL NAME``."""

from __future__ import annotations

import re
import sys

import psycopg


def main() -> int:
    action, admin_url, name = sys.argv[1:4]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        print(f"refusing database name {name!r}", file=sys.stderr)
        return 2
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            if action == "create":
                conn.execute(f"CREATE DATABASE {name}")  # name checked above
            elif action == "drop":
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                print(f"unknown action {action!r}", file=sys.stderr)
                return 2
    except psycopg.Error as exc:
        print(f"PostgreSQL error ({action} {name}): {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
