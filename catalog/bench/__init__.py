"""Offline benchmark and evaluation code, apart from the request path.

``manage.py bench_catalog`` (catalog_run, scratch, vector_search, figures), ``bench_stream``
(streaming), ``bench_analysis`` (analysis_throughput) and ``evaluate_analysis``
(analysis_accuracy, on music from synth). Nothing the web app or the workers import lives here;
the management commands are thin wrappers.
"""
