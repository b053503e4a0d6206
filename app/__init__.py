"""The movie-stats application shell: settings, the ASGI app and the command line."""
