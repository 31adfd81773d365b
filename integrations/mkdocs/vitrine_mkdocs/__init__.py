"""MkDocs plugin that renders Vitrine macro fences at build time."""

__version__ = "0.1.0"
