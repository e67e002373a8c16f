"""Pydantic models of the stack configuration (one module per section)."""
