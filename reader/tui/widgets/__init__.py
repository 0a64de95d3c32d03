"""The main screen's widgets: source tree, item list, reader pane, status line.

They read through the app's Library and never show feed text as markup.
"""
