"""Webhooks: registration, the outbox, signed deliveries, SSRF refusals."""
