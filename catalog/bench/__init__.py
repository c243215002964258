"""Offline benchmark code (``manage.py bench_catalog``, ``bench_stream``), apart from the request path.

Nothing the web app or the workers import lives here; the management commands are thin wrappers.
"""
