"""Edges of the system: settings, CLI, embedded servers, chat platforms, AI provider, Redis."""
