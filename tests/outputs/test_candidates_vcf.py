"""triage.outputs.vcf: reading the input VCF's INFO fields for the candidate VCF."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import write_vcf

from triage.errors import TriageError
from triage.outputs.vcf import InputInfo

RECORDS = ["chr1\t100\t.\tA\tG\t50\tPASS\tDP=30\tGT\t0/1",
           "chr1\t200\t.\tC\tT\t50\tPASS\tDP=40;DB\tGT\t0/1"]


def _info(tmp_path, record_index, order):
    vcf = write_vcf(tmp_path / "in.vcf.gz", ["S1"], RECORDS, contigs={"chr1": 248956422})
    n = len(record_index)
    return InputInfo(vcf, np.asarray(record_index, dtype=np.int64), np.array(["G"] * n, dtype=object),
                     np.array(["A"] * n, dtype=object), np.array([100] * n, dtype=np.int64),
                     np.asarray(order, dtype=np.int64))


def test_input_info_reads_the_record_of_each_variant(tmp_path):
    src = _info(tmp_path, [0], [0])
    assert src.fields(0) == ["DP=30"]
    src.close()


@pytest.mark.parametrize("record_index,order", [
    ([-1], [0]),  # streamed: no record was read (the record was None, a TypeError)
    ([5, 0], [0, 1]),  # held in memory (out of order): an index past the input's end (KeyError)
])
def test_input_info_without_the_record_is_a_triage_error(tmp_path, record_index, order):
    src = _info(tmp_path, record_index, order)
    with pytest.raises(TriageError, match="not the VCF the case was annotated from"):
        src.fields(0)
    src.close()
