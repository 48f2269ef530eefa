"""The one chain layer: the JSON-RPC client (`rpc`), calldata and return data (`calldata`), and a
program's on-chain settings (`programs`). The indexer, the developer tooling, the scripts and the
benchmarks all reach the chain through it."""
