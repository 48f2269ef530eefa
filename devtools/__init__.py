"""Developer tooling, not part of a deployment: `make run`'s orchestration (`run`), control of a
local Anvil (`devchain`), and the demo's generator of realistic activity (`demo`)."""
