"""Test doubles that speak real protocols over local sockets."""
