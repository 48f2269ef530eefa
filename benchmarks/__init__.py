"""Gas benchmarks: `make bench` (`python -m benchmarks`); the latest table is in RESULTS.md."""
