"""Compiles the plain ERC-20 baseline (benchmarks/contracts/PlainERC20.vy) into an ape container.

ape compiles only contracts/, so the baseline is compiled here with vyper's own Python API,
with the settings ape-vyper uses for the project (optimize "gas", the configured EVM version)
and the same search path (site-packages, where snekmate is installed), so that both contracts
are built alike.
"""

import site
from pathlib import Path

from ape.contracts import ContractContainer
from ethpm_types import ContractType
from vyper.compiler import compile_from_file_input
from vyper.compiler.input_bundle import FilesystemInputBundle
from vyper.compiler.settings import OptimizationLevel, Settings

SOURCE = Path(__file__).resolve().parent / "contracts" / "PlainERC20.vy"


def compile_plain_erc20(evm_version: str) -> ContractContainer:
    search_paths = [*(Path(p) for p in site.getsitepackages()), SOURCE.parent]
    bundle = FilesystemInputBundle(search_paths)
    source = bundle.load_file(SOURCE)
    output = compile_from_file_input(
        source,
        input_bundle=bundle,
        settings=Settings(optimize=OptimizationLevel.GAS, evm_version=evm_version),
        output_formats=["abi", "bytecode", "bytecode_runtime"],
    )
    contract_type = ContractType.model_validate(
        {
            "contractName": SOURCE.stem,
            "sourceId": str(SOURCE),
            "abi": output["abi"],
            "deploymentBytecode": {"bytecode": output["bytecode"]},
            "runtimeBytecode": {"bytecode": output["bytecode_runtime"]},
        }
    )
    return ContractContainer(contract_type)
