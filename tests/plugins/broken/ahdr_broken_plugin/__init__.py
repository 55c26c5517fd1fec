"""A plugin that raises on import: ahdr must report it and keep working."""

raise RuntimeError("ahdr_broken_plugin is broken on purpose")
