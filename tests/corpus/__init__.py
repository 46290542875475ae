"""The real-world corpus: models written by other people, rebuilt as factories."""
