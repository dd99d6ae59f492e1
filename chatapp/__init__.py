"""chatapp: chat with large language models on your own computer, offline."""

__version__ = "0.1.0"
