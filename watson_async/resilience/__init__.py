"""watson_async.resilience: see docs/architecture.md."""
