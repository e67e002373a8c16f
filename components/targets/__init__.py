"""Deployment targets: each turns a target-neutral Workload into provider resources."""
