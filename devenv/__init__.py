"""Local development and test tooling: the broker and store a developer's machine needs, and the
runner that starts the whole system. Not shipped in service images."""
