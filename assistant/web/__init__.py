"""The web front ends: the Gradio chat page, the JSON/SSE API and the embeddable widget."""
