"""The eval suite: golden Q&A cases run through the same path as ``assistant ask``, scored,
gated against floors and a baseline, and reported as JUnit XML, JSON and Markdown."""
