"""The monthly export (一单一档): rows computed from the database (rows.py) and laid out as sheets
(sheets.py); the command line (bot.cli_export) writes them as XLSX or as CSV files in a zip."""
