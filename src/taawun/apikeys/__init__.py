"""API plumbing: personal API tokens, idempotency of money-moving calls, auth and shared schemas."""
