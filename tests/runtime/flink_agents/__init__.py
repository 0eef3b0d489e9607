"""Test-only stand-in for the Apache Flink Agents Python API (see tests/runtime/README.md)."""
