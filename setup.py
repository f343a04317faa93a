"""The package is described in pyproject.toml; this file lets tools that still call
``setup.py`` (and ``pip install -e .`` with old pips) build it the same way."""

from setuptools import setup

setup()
