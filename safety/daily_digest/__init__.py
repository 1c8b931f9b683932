"""The daily safety digest for safety officers and managers: figures, a chart, sending (issue 12)."""
