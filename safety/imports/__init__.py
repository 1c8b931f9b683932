"""Importing the organisation file and the roster: validate the whole file, then apply all-or-nothing.

Entry points take an open session (the caller's transaction) and return plain data: an `ImportReport`
(counts) or an `ImportRejected` (problems with line numbers, the first 100 kept and the rest counted;
nothing was written). Problem codes are the `import_problem.*` keys of the language catalogs
(`safety.imports.problems.problem_codes()`). Keys and names with invisible or control characters are
refused (safety.textcheck); size and row limits: safety.imports.files. People's `cleared_on` dates are
recorded by safety.prior_clearance.
"""

from safety.imports.escalation import ESCALATION_KINDS
from safety.imports.org_file import parse_org
from safety.imports.people import RawPerson
from safety.imports.plan import OrgPlan, PersonSpec, UnitSpec
from safety.imports.problems import Problem, problem_codes
from safety.imports.results import EntityCounts, ImportRejected, ImportReport, Progress
from safety.imports.roster_file import read_roster
from safety.imports.service import import_org, import_org_file, import_roster, import_roster_file

__all__ = [
    "ESCALATION_KINDS",
    "EntityCounts",
    "ImportRejected",
    "ImportReport",
    "OrgPlan",
    "PersonSpec",
    "Problem",
    "Progress",
    "RawPerson",
    "UnitSpec",
    "import_org",
    "import_org_file",
    "import_roster",
    "import_roster_file",
    "parse_org",
    "problem_codes",
    "read_roster",
]
