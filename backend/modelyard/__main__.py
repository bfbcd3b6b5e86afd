from __future__ import annotations

import sys

from modelyard.cli import main

sys.exit(main())
