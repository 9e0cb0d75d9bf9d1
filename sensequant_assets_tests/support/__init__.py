"""What tests and benchmarks share: real stand-ins and helpers, never a test or a fixture.

Benchmarks import from here only, never a `test_*` module or a `conftest.py`
(test_architecture.py checks it), so a test can change without breaking a benchmark.
"""
