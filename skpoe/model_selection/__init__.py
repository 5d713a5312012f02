"""Compare estimators against baselines a user already has, on held-out rows and views."""

from skpoe.model_selection._compare import ViewBaseline, compare_estimators, summarize, to_markdown
from skpoe.model_selection._tables import describe_column

__all__ = ["ViewBaseline", "compare_estimators", "describe_column", "summarize", "to_markdown"]
