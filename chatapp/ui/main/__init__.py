"""The main window: conversations, the chat view, the composer, their workers."""
