"""The platform-neutral dialogue: states, commands and replies."""
