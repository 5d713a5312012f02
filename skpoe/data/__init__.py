"""Data in: modality containers, array conversion, labels, feature names and on-disk sources.

This layer knows numpy, scipy and scikit-learn; it imports no torch module code. Every X that
reaches an estimator passes one entry check, :func:`skpoe.data._validation.check_X`.
"""

from skpoe.data._container import ModalityDict, views_as_dict
from skpoe.data._convert import as_modality_dict
from skpoe.data._labels import encode_labels

__all__ = ["ModalityDict", "as_modality_dict", "encode_labels", "views_as_dict"]
