"""Exit 0 when the PostgreSQL named by argv[1] accepts connections (make test's second pass)."""
import sys

try:
    import psycopg

    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:  # any failure means: skip the PostgreSQL pass, and say why
    print(f"PostgreSQL check failed: {exc}", file=sys.stderr)
    sys.exit(1)
