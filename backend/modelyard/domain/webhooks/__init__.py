"""Webhooks: endpoints a user registers to be told when a job finishes or a model changes stage."""
