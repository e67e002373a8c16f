"""Entry point for the Pulumi CLI: the program itself is in program.py."""

import program

stack = program.main()
