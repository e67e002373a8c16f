"""Entry point of the source-based plugin: the same provider the package's
`pulumi-resource-observability` command serves."""

from observability_stack.provider import main

main()
