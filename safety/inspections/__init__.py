"""Inspections by checklist (每天例行安全检查, 每月安全大检查, 专项检查): checklists, inspections whose
隐患 items become hazard reports, and the inspections a unit requires."""
