"""Load and fault benchmarks (not part of `make test`): `python -m benchmarks [NAME] [options]`."""
