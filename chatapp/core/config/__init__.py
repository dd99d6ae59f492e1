"""Settings: one declarative definition each (pydantic), and settings.json."""
