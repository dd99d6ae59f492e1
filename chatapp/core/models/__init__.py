"""GGUF files: headers, the library, the Hub, downloads, fit on this machine."""
