"""`python -m modelyard`: the server-side command line (serve, dev, export-openapi)."""

from __future__ import annotations

import sys

from modelyard.cli import main

sys.exit(main())
