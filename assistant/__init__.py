"""The Istanbul talks assistant: document-grounded answers in which every sentence is cited."""

__version__ = "0.1.0"
