"""Pure functions from the typed config to each service's files: data in, sorted YAML/JSON text out."""
