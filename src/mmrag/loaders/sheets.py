"""Spreadsheets (.xlsx with openpyxl, streamed in read-only mode) and .csv/.tsv (the
standard library): every sheet a table (:mod:`.tables`), its first non-empty row the
header repeated in each group of rows, at most ``tables.MAX_ROWS`` rows a sheet.
Formulas are read as the values Excel last saved.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .._lazy import require
from ..errors import IngestError
from ..types import Section
from . import loaders
from .charset import read_text
from .packages import check_package
from .tables import table_sections


class XlsxLoader:
    name = "xlsx"
    extensions: tuple[str, ...] = (".xlsx", ".xlsm")

    def load(self, path: Path) -> list[Section]:
        check_package(path, ".xlsx")
        openpyxl = require("openpyxl", "documents", purpose="reading .xlsx files")
        try:
            book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except Exception as exc:  # a broken package: KeyError, InvalidFileException...
            raise IngestError(str(path), f"not a readable .xlsx ({exc})") from None
        sections: list[Section] = []
        try:
            for sheet in book.worksheets:
                rows = sheet.iter_rows(values_only=True)
                sections += table_sections(rows, title=f"sheet {sheet.title!r}",
                                           meta={"sheet": sheet.title})
        finally:
            book.close()
        if not sections:
            raise IngestError(str(path), "every sheet is empty")
        return sections


class CsvLoader:
    name = "csv"
    extensions: tuple[str, ...] = (".csv", ".tsv")

    def load(self, path: Path) -> list[Section]:
        text = read_text(path)
        sample = text[:8192]
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
        except csv.Error:
            dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
        rows = csv.reader(io.StringIO(text), dialect)
        try:
            sections = table_sections(rows, title=f"table {path.name}")
        except csv.Error as exc:
            raise IngestError(str(path), f"not a readable CSV ({exc})") from None
        if not sections:
            raise IngestError(str(path), "no rows in the file")
        return sections


loaders.register("xlsx")(XlsxLoader)
loaders.register("csv")(CsvLoader)
