import pytest

from nlp_models import analyze


def detected(text: str) -> set[str]:
    """Dimension names detected in text."""
    return {name for name, dim in analyze(text).dimensions.items() if dim.detected}


def labels(text: str) -> set[str]:
    return set(analyze(text).distortions)


@pytest.fixture
def dims():
    return detected


@pytest.fixture
def traps():
    return labels
