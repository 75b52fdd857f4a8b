"""Talking to one Claude Code process: locating it, its events, its control protocol."""
