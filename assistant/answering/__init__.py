"""Answering: from a question and retrieved chunks to a short answer in which every sentence is cited."""
