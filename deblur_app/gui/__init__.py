"""The desktop window (PySide6): widgets, worker threads, preferences; no deblurring of its own."""
