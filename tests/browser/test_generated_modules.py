"""The dashboard's contract ABIs and EIP-712 types are generated from the compiled contracts and
points/signing.py (`python -m devtools.dashboard_modules`), never copied: these tests fail when the
checked-in modules are stale."""

import pytest

from devtools.dashboard_modules import ABI_MODULE, TYPED_DATA_MODULE, abi_module, typed_data_module
from points.settings import REPO_ROOT


@pytest.mark.parametrize(("module", "generate"), [(ABI_MODULE, abi_module), (TYPED_DATA_MODULE, typed_data_module)])
def test_the_checked_in_module_is_what_the_generator_writes(module, generate):
    assert module.read_text() == generate(), (
        f"{module.relative_to(REPO_ROOT)} is stale: `make dashboard` regenerates it; commit the result")

