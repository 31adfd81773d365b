#!/usr/bin/python3
"""Validates manifests against manifests/manifest.schema.json (JSON Schema 2020-12).

Usage: schema_check.py --schema SCHEMA PATH...   (a PATH may be a directory of *.yml)

The C++ checker is the authority; this proves the published schema accepts
every manifest the checker accepts, so editors never flag a valid manifest.
scopes.yml is the scope catalog, not a manifest, and is skipped.
"""
import argparse
import json
import pathlib
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: JSON has none, and the checker reads
    2024-05-01T12:00:00Z as the text of a time parameter's default."""


Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def manifests(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from (f for f in sorted(p.glob("*.yml")) if f.name != "scopes.yml")
        else:
            yield p


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", required=True)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    schema = json.loads(pathlib.Path(args.schema).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    checked, failed = 0, 0
    for path in manifests(args.paths):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        checked += 1
        for error in errors:
            failed += 1
            where = "/".join(str(p) for p in error.path) or "(root)"
            print(f"{path}: {where}: {error.message}", file=sys.stderr)
    if checked == 0:
        print("schema_check: no manifests found", file=sys.stderr)
        return 1
    print(f"schema_check: {checked} manifests, {failed} schema errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
