"""Connects ape to a fresh Anvil of the benchmark's own, on a free port, and stops it afterwards.

The benchmark time-travels and mints freely, so it must never run against `make run`'s chain
on 127.0.0.1:8545: the host is forced to "auto" whatever the environment says.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ape import networks
from ape.api import ProviderAPI

NETWORK_CHOICE = "ethereum:local:foundry"


@contextmanager
def fresh_anvil() -> Iterator[ProviderAPI]:
    # ape-foundry reads APE_FOUNDRY_HOST when it connects, ahead of its settings.
    os.environ["APE_FOUNDRY_HOST"] = "auto"
    # ape-foundry looks for `anvil` on PATH; `make install` links it into the venv's bin.
    venv_bin = str(Path(sys.prefix) / "bin")
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")

    with networks.parse_network_choice(
        NETWORK_CHOICE, provider_settings={"host": "auto"}, disconnect_after=True
    ) as provider:
        if getattr(provider, "process", None) is None:
            raise RuntimeError(f"{NETWORK_CHOICE} did not start an Anvil of its own ({provider.uri})")
        yield provider
