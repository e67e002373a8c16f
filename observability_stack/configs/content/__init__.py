"""Content the stack ships: alert rules, SLO rules, log rules and dashboards, built as Python data."""
