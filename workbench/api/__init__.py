"""The client REST API: app and routes, request models, guard, limits, audit, settings."""
