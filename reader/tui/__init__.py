"""The Textual app: the only part of reader that imports Textual.

`reader.tui.app.run_app` is its entry point; screens and widgets sit beside it.
"""
