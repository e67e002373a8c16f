"""Typed stack configuration and pure renderers for every service's upstream config files."""
