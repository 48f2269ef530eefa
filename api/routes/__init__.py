"""One module per group of routes; `api.app` mounts them under /v1."""
