"""Report targets: built-in aggregation, templates, the run summary with Mermaid charts.

Contract: `render_report(task, graph=..., store=..., run_id=...) -> str` is the whole Markdown document of a
(non-merge) report task; bind the keywords with functools.partial for the executor's `report_renderer(task)`.
`render_summary(graph, store, run_id, tasks)` is the run summary alone. Template errors are `AgentfileError`s
naming the template file and line.
"""

from agentmake.report.builtin import render_report, render_sections
from agentmake.report.summary import critical_path, render_summary
from agentmake.report.template import render_template

__all__ = ["critical_path", "render_report", "render_sections", "render_summary", "render_template"]
