"""Offline install: pip install --no-index --no-build-isolation -e integrations/mkdocs
(or use it without installing: PYTHONPATH=integrations/mkdocs; see README.md)."""
from setuptools import setup

setup(
    name="vitrine-mkdocs",
    version="0.1.0",
    description="Renders Vitrine macro fences in MkDocs sites at build time",
    packages=["vitrine_mkdocs"],
    python_requires=">=3.9",
    entry_points={"mkdocs.plugins": ["vitrine = vitrine_mkdocs.plugin:VitrinePlugin"]},
)
