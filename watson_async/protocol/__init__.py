"""watson_async.protocol: see docs/architecture.md."""
