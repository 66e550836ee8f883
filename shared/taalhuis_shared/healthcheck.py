"""Container health check: `python -m taalhuis_shared.healthcheck FILE` exits 0 when fresh."""

import sys
from pathlib import Path

from .runtime import is_healthy

if __name__ == "__main__":
    sys.exit(0 if is_healthy(Path(sys.argv[1])) else 1)
