"""Keras 2 path ``keras.utils.io_utils``: ``ask_to_proceed_with_overwrite`` and ``print_msg``."""

from __future__ import annotations


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Ask on stdin whether to overwrite ``filepath``; True for yes."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def print_msg(message: str, line_break: bool = True) -> None:
    """Print ``message`` (progress output goes through here in Keras)."""
    print(message, end="\n" if line_break else "", flush=True)


__all__ = ["ask_to_proceed_with_overwrite", "print_msg"]
