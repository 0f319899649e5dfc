"""Text: normalising, sentences, the analyser, names, numbers and negation. No other stage is imported here."""
