"""Interfaces that core/ needs from the outside world; adapters implement them."""
