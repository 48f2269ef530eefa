"""The platform's domain, in plain Python (no chain connection): settings, the alliance file's
schema, the deployment manifest, EIP-712 messages, the expiring-ledger model, cap wording and
airdrop planning."""
