"""`python -m bot` is the same as the `safetybot` console script."""

from bot.cli import main

main()
