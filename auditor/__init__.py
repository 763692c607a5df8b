"""The auditor: keeps a directory of AI tools, MCP servers, skills and news honest."""

__version__ = "0.1.0"
