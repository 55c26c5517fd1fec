"""``--size WIDTHxHEIGHT``, read the same way by every command that takes one."""

from __future__ import annotations

from ahdr_nodes import UserError


def parse_size(text: str, minimum: int = 1) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` as image sizes are written (``512x256``) -> (height, width),
    the order arrays and SynthConfig take; each side at least ``minimum``."""
    width, sep, height = text.lower().partition("x")
    if sep and width.isdigit() and height.isdigit() and min(int(width), int(height)) >= minimum:
        return int(height), int(width)
    at_least = f", each at least {minimum}" if minimum > 1 else ""
    raise UserError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 512x256{at_least}")
