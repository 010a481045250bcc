"""Qt widgets (PySide6). The only package allowed to import Qt; nothing imports it.

Empty until the chat window issue.
"""
