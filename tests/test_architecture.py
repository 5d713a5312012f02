"""The package's shape: no import circle, short modules, the registry, the model contract, old paths.

The layer contracts themselves are in ``pyproject.toml`` and checked by ``lint-imports`` in CI;
these tests hold what a contract cannot say, and run without import-linter.
"""

import ast
import importlib
import pathlib

import pytest

import skpoe

PACKAGE = pathlib.Path(skpoe.__file__).resolve().parent
MAX_LINES = 420


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph():
    """``{module: set of skpoe modules it imports}``, function-local imports included."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph):
    """One import circle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_circle_anywhere():
    graph = import_graph()
    # a package's __init__ imports its modules; a module importing its own package's
    # __init__ back would close a circle, and so would any other loop
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_can_fail():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_of_the_library_imports_the_root_package():
    graph = import_graph()
    importers = sorted(m for m, targets in graph.items() if "skpoe" in targets and m != "skpoe")
    assert importers in ([], ["skpoe.__main__"]), importers


def test_modules_are_short():
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_the_fuzz_harness_is_not_installed():
    assert not list(PACKAGE.rglob("*fuzz*"))


def test_the_top_level_reads_as_the_architecture():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {
        "estimators",
        "models",
        "likelihoods",
        "data",
        "train",
        "persistence",
        "model_selection",
    } <= packages


@pytest.mark.parametrize(
    "path",
    [
        "skpoe.MultimodalPoEVAE",
        "skpoe.MVAE",
        "skpoe.VAEVAE",
        "skpoe.MMVAE",
        "skpoe.MoPoEVAE",
        "skpoe.ModalityDict",
        "skpoe.load",
        "skpoe.ModelFileError",
        "skpoe.TrainingDiverged",
        "skpoe.CheckpointError",
        "skpoe.FitInterruptedWarning",
        "skpoe.ESTIMATORS",
        "skpoe.__version__",
        "skpoe.model_selection.compare_estimators",
        "skpoe.semi_supervised.LabeledOnly",
        "skpoe.io.write_embedding",
        "skpoe.io.from_mudata",
        "skpoe.datasets.load_digits_views",
        "skpoe.metrics.labeled_scorer",
        "skpoe.plotting.plot_history",
        "skpoe.distributed.init_process_group",
        "skpoe.training.Trainer",
        "skpoe.train.Trainer",
        "skpoe.train.callbacks.Callback",
        "skpoe.persistence.save",
        "skpoe.data.ModalityDict",
        "skpoe.estimators.BaseMultimodalVAE",
        "skpoe.likelihoods.Gaussian",
    ],
)
def test_public_import_paths(path):
    module, _, attr = path.rpartition(".")
    assert getattr(importlib.import_module(module), attr) is not None


def test_old_trainer_path_is_the_same_class():
    import skpoe.train
    import skpoe.training

    assert skpoe.training.Trainer is skpoe.train.Trainer


def test_every_estimator_is_registered_and_a_users_subclass_is_not():
    from skpoe.persistence import registry

    assert registry.registered_names() == sorted(c.__name__ for c in skpoe.ESTIMATORS)
    for cls in skpoe.ESTIMATORS:
        assert registry.estimator_class(cls.__name__) is cls

    class Mine(skpoe.MultimodalPoEVAE):
        pass

    assert not registry.is_registered(Mine)
    assert registry.estimator_class("Mine") is None


def test_two_classes_under_one_name_are_refused():
    from skpoe.persistence import registry

    fake = type("MultimodalPoEVAE", (), {"__module__": "skpoe.somewhere"})
    with pytest.raises(RuntimeError, match="Two estimator classes"):
        registry.register(fake)


def test_a_model_missing_its_contract_fails_at_class_creation():
    from skpoe.models.base import MixtureModule, MultimodalModule

    with pytest.raises(TypeError, match="does not define paired_terms"):

        class NoTerms(MultimodalModule):
            def posterior(self, experts, subset):
                return None

    with pytest.raises(TypeError, match="components"):

        class NoComponents(MixtureModule):
            def paired_terms(self, experts, sample=True):
                return None

    class Base(MultimodalModule, abstract=True):  # a declared base may leave them open
        pass


def test_unlabeled_rows_are_a_class_attribute():
    from skpoe.semi_supervised import LabeledOnly, _handles_unlabeled

    for cls in skpoe.ESTIMATORS:
        assert cls._reads_unlabeled_rows
    assert LabeledOnly._reads_unlabeled_rows
    from sklearn.linear_model import LogisticRegression

    assert not _handles_unlabeled(LogisticRegression())
    assert _handles_unlabeled(skpoe.MultimodalPoEVAE())
