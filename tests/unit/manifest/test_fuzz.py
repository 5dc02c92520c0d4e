"""Fuzzing the loader: nothing but bkctl's own validation errors may come out."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXAMPLE_TEXTS = [p.read_text() for p in sorted(EXAMPLES.glob("*.yaml"))]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["8h", "disk", "vault", "files", "standard", "1.5TB"]))
keys = st.one_of(st.sampled_from(["version", "targets", "workloads", "policies", "type", "path", "paths",
                                  "schedule", "retention", "every", "daily", "policy", "encryption"]),
                 st.text(min_size=1, max_size=8))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(keys, inner, max_size=5)), max_leaves=25)


def _load_text(tmp_dir: Path, text: str) -> None:
    path = tmp_dir / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_manifest(path)
    except ManifestError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_random_documents_give_only_validation_errors(tmp_path, document):
    import json

    _load_text(tmp_path, json.dumps(document))  # JSON is YAML


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(EXAMPLE_TEXTS) - 1), data=st.data())
def test_mutated_examples_give_only_validation_errors(tmp_path, index, data):
    text = EXAMPLE_TEXTS[index]
    position = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    noise = ["", ":", "- ", "  ", "\n", "{", "]", "'", "x: y\n", "\t", "&a ", "*a", "!!binary "]
    insert = data.draw(st.sampled_from(noise))
    _load_text(tmp_path, text[:position] + insert + text[position + cut:])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_arbitrary_text_gives_only_validation_errors(tmp_path, text):
    _load_text(tmp_path, text)
