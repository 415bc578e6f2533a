"""Gene symbols renamed by HGNC since the bundled refGene dump (2019-07-28).

The gene model names genes as UCSC refGene did in 2019; the HPO release (2025) uses
current HGNC symbols. This table maps the old symbol to the current one for genes
that the HPO release annotates (and a few more seen in practice), so a variant in
``IARS`` is credited to ``IARS1`` diseases. Each pair was checked: the old symbol is
in both bundled gene models and the new one is in neither. Written by hand from HGNC
"previous symbol" records; extend it when the gene model or HPO release changes.
Mitochondrial genes (MT-*) are absent from refGene and cannot be mapped.
"""

from __future__ import annotations

#: refGene-2019 symbol -> current HGNC symbol
REFGENE_TO_HGNC: dict[str, str] = {
    "AARS": "AARS1",
    "ADPRHL2": "ADPRS",
    "ARMC4": "ODAD2",
    "ARSE": "ARSL",
    "ATP5MD": "ATP5MK",
    "BVES": "POPDC1",
    "C11orf80": "TOP6BL",
    "C11orf95": "ZFTA",
    "C12orf65": "MTRFR",
    "C12orf66": "KICS2",
    "C15orf41": "CDIN1",
    "C17orf53": "HROB",
    "C1orf127": "CIROZ",
    "C8orf37": "CFAP418",
    "CARS": "CARS1",
    "CCDC103": "DNAAF19",
    "CCDC114": "ODAD1",
    "CCDC151": "ODAD3",
    "CCDC155": "KASH5",
    "CCDC84": "CENATAC",
    "CENPJ": "CPAP",
    "CXorf56": "STEEP1",
    "DARS": "DARS1",
    "DDX58": "RIGI",
    "EFCAB1": "CLXN",
    "EPRS": "EPRS1",
    "FAM126A": "HYCC1",
    "FAM92A": "CIBAR1",
    "G6PC": "G6PC1",
    "GARS": "GARS1",
    "GBA": "GBA1",
    "H2AFY": "MACROH2A1",
    "H3F3A": "H3-3A",
    "H3F3B": "H3-3B",
    "HARS": "HARS1",
    "HIST1H1E": "H1-4",
    "HIST1H4C": "H4C3",
    "HIST1H4E": "H4C5",
    "HIST1H4I": "H4C9",
    "HIST1H4J": "H4C11",
    "IARS": "IARS1",
    "ICK": "CILK1",
    "IMPAD1": "BPNT2",
    "KARS": "KARS1",
    "KIAA0556": "KATNIP",
    "KIAA1109": "BLTP1",
    "KIF1BP": "KIFBP",
    "LARS": "LARS1",
    "LMLN2": "CIROP",
    "LOR": "LORICRIN",
    "LRRC6": "DNAAF11",
    "MAATS1": "CFAP91",
    "MAP11": "TRAPPC14",
    "MARS": "MARS1",
    "MYLPF": "MYL11",
    "NARS": "NARS1",
    "PHB": "PHB1",
    "PIH1D3": "DNAAF6",
    "QARS": "QARS1",
    "RARS": "RARS1",
    "SARS": "SARS1",
    "SKIV2L": "SKIC2",
    "SLC9A3R1": "NHERF1",
    "SPATA5": "AFG2A",
    "SPATA5L1": "AFG2B",
    "TARS": "TARS1",
    "TAZ": "TAFAZZIN",
    "TCTEX1D2": "DYNLT2B",
    "TDGF1": "CRIPTO",
    "TMEM173": "STING1",
    "TMEM199": "VMA12",
    "TMEM251": "LYSET",
    "TTC25": "ODAD4",
    "TTC26": "IFT56",
    "TTC37": "SKIC3",
    "VARS": "VARS1",
    "WARS": "WARS1",
    "WDR34": "DYNC2I2",
    "WDR60": "DYNC2I1",
    "WDR66": "CFAP251",
    "YARS": "YARS1",
}


def current_symbol(symbol: str) -> str:
    return REFGENE_TO_HGNC.get(symbol, symbol)
