"""The daily safety digest and the Monday weekly summary for safety officers and managers: figures, charts,
sending (issue 12)."""
