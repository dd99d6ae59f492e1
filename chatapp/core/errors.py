"""The engine's error base, shared by the engine and the chat-template wrapper."""


class EngineError(Exception):
    """Something the user can act on went wrong in the engine; the message says what."""
