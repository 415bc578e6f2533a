"""Array type aliases shared by the typed kernel and the pure scoring code.

Only names for ``numpy.typing.NDArray`` of the dtypes the scoring code uses, so
signatures say what an array holds (``FloatArray``: float64 scores, LRs, posteriors;
``IntArray``: int64 indices; ``BoolArray``: masks). Scipy sparse matrices have no
type stubs and stay ``Any`` (annotated as ``scipy.sparse`` classes for the reader).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
Float32Array: TypeAlias = NDArray[np.float32]
IntArray: TypeAlias = NDArray[np.int64]
Int32Array: TypeAlias = NDArray[np.int32]
BoolArray: TypeAlias = NDArray[np.bool_]
ObjectArray: TypeAlias = NDArray[np.object_]
#: an array of any numeric dtype (e.g. scores before they are cast to float64)
AnyArray: TypeAlias = NDArray[Any]

__all__ = ["AnyArray", "BoolArray", "Float32Array", "FloatArray", "Int32Array", "IntArray",
           "ObjectArray"]
