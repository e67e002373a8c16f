"""Pulumi ComponentResources: one per service, the stack that composes them, and the deployment targets."""
