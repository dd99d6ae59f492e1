"""The local OpenAI-compatible API server: other programs use the model chatapp has loaded."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
