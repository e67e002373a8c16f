"""Command-line helpers: render without credentials, preflight checks, benchmarks."""
