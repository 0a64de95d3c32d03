"""The app's screens: the main reading screen, help and search.

Each screen owns its bindings; the main screen's come from the keymap table.
"""
