"""Type stub of :mod:`selector.report`: its public names (imported lazily at run time)."""

from .content import Notice as Notice
from .content import Provenance as Provenance
from .content import Report as Report
from .content import build_report as build_report
from .content import file_sha256 as file_sha256
from .excel import report_workbook as report_workbook
from .files import write_reports as write_reports
from .html import public_html as public_html
from .html import report_html as report_html
from .jsonout import report_dict as report_dict
from .jsonout import report_json as report_json
from .markdown import report_markdown as report_markdown

FORMATS: tuple[str, ...]
__all__: list[str]
