"""`python -m benchmarks`: run from the repository root (`make bench` does)."""

import os
import warnings
from pathlib import Path

# ape finds ape-config.yaml and contracts/ from the working directory.
os.chdir(Path(__file__).resolve().parent.parent)
# Always a fresh Anvil of our own on a free port, never `make run`'s chain.
os.environ["APE_FOUNDRY_HOST"] = "auto"
# Raised by a plugin's settings model at import, harmless, and noise in the table's output.
warnings.filterwarnings("ignore", message="Field 'import_remapping' has an incomplete definition")

from benchmarks.run import main  # noqa: E402  (ape reads the working directory at import)

raise SystemExit(main())
