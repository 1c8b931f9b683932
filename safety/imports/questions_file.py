"""The question bank import (`safetybot import questions FILE`): .yaml/.yml, .xlsx or .csv.

YAML (format in DESIGN.md, "Question bank"):
```yaml
source: 示例题库（非集团正式文本）        # required; 示例/样例/sample/example in it marks a sample bank
prohibitions:
  - {number: 1, title: 严禁违章指挥、违章作业, text: 严禁违章指挥、违章作业、违反劳动纪律。}
questions:
  - id: q-001
    prohibition: 1
    type: single                      # single | multi | judge (单选 | 多选 | 判断 accepted)
    stem: 强令他人冒险作业属于（ ）
    options: [严重违章, 一般违章, 正常指挥, 视情况而定]
    answer: A                         # A, or ACD for multi; judge: 对 or 错, without options
    explanation: 违章指挥、强令冒险作业属严重违章。
```
`source`, `prohibitions` and `questions` are required; a prohibition needs number, title and text; a
question needs id, prohibition, type, stem and answer (options for single and multi, 2 to 6; explanation
is optional). `answer` may also be a list of letters. Problems name the YAML line of the value.

XLSX: sheets `prohibitions` (columns number, title, text, source) and `questions` (columns id,
prohibition, type, stem, option_a … option_f, answer, explanation). The bank's source label is the
`source` column of the prohibitions sheet, written on the first prohibition at least (where repeated it
must be the same). Problems name the sheet and its row.

CSV: the questions sheet alone, for the prohibitions already loaded; it adds and updates questions, keeps
the loaded source label and deactivates nothing. Problems name the CSV line.

YAML and XLSX are the whole bank: prohibitions and questions missing from it are deactivated (never
deleted). Every problem is found before anything is written; re-importing the same file changes nothing.
Validation rules: safety/imports/questions_rules.py; applying: questions_service.py.
"""

from safety.imports.questions_model import BankReport
from safety.imports.questions_read import SUFFIXES, parse_yaml_bank, read_bank
from safety.imports.questions_service import import_bank, import_questions_file

__all__ = ["SUFFIXES", "BankReport", "import_bank", "import_questions_file", "parse_yaml_bank", "read_bank"]
