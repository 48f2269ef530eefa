"""Shared domain code of the points platform: settings, the deployment manifest, the ledger model."""
