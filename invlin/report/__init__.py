"""Report writers: terminal table, Markdown, self-contained HTML, JSON and PNG figures."""

from invlin.report.build import write_report
from invlin.report.results import results_document, summary, write_json
from invlin.report.schema import load_schema, validate
from invlin.report.terminal import claims_table

__all__ = ["write_report", "results_document", "summary", "write_json", "load_schema",
           "validate", "claims_table"]
