"""Validates Kubernetes YAML documents offline, as `kubectl apply --validate=strict` would.

    validate_kubernetes.py FILE... ('-' reads the documents from stdin)

Every YAML document of every file is checked: a SpinApp (core.spinkube.dev/v1alpha1) against
deploy/kubernetes/schema/spinapp-v1alpha1.json, anything else against the strict Kubernetes
schema of its kind bundled with kubernetes-validate (unknown fields refused). A document whose
kind has no schema fails; nothing is skipped. One line per document on stdout:

    ok FILE KIND/NAME
    error FILE KIND/NAME: PATH: MESSAGE

Exit status: 0 all valid, 1 any document invalid (or a file unreadable), 2 usage error.
Run by tests/tests/deploy_kubernetes.rs with the venv scripts/lib/prepare.sh makes
(ensure_python_tools, scripts/requirements-test.txt).
"""

import json
import pathlib
import sys

import jsonschema
import kubernetes_validate
import yaml

# The oldest Kubernetes the documents are written for: a field added after it is refused.
KUBERNETES_VERSION = "1.30.0"
SPINAPP_API_VERSION = "core.spinkube.dev/v1alpha1"
SPINAPP_SCHEMA = (pathlib.Path(__file__).resolve().parents[2]
                  / "deploy" / "kubernetes" / "schema" / "spinapp-v1alpha1.json")


def label(doc):
    """KIND/NAME of a document, with '?' for what it lacks."""
    if not isinstance(doc, dict):
        return "?/?"
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return "%s/%s" % (doc.get("kind") or "?", name or "?")


def problems(doc, spinapp):
    """(path, message) pairs for what is wrong with one document; empty when it is valid."""
    if not isinstance(doc, dict):
        return [("", "a document must be a mapping, not %s" % type(doc).__name__)]
    if not isinstance(doc.get("kind"), str) or not isinstance(doc.get("apiVersion"), str):
        return [("", "apiVersion and kind must be set (strings)")]
    if doc["kind"] == "SpinApp" or doc["apiVersion"] == SPINAPP_API_VERSION:
        errors = sorted(spinapp.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        return [(".".join(map(str, e.absolute_path)), e.message) for e in errors]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [(".".join(map(str, e.path)), e.message)]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [("", "no schema: " + e.message)]
    return []


def main(paths):
    if not paths:
        print("usage: validate_kubernetes.py FILE... ('-' reads the documents from stdin)",
              file=sys.stderr)
        return 2
    spinapp = jsonschema.Draft202012Validator(json.loads(SPINAPP_SCHEMA.read_text()))
    failed = False
    for path in paths:
        try:
            text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print("error %s ?/?: : %s" % (path, str(e).replace("\n", " ")))
            failed = True
            continue
        if not docs:
            print("error %s ?/?: : no YAML document" % path)
            failed = True
        for doc in docs:
            found = problems(doc, spinapp)
            for where, message in found:
                print("error %s %s: %s: %s" % (path, label(doc), where, message.replace("\n", " ")))
            if not found:
                print("ok %s %s" % (path, label(doc)))
            failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
