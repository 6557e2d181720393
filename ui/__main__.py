"""`python -m ui` runs the bankassist CLI (the same as the `bankassist` console script)."""

from ui.cli import main

if __name__ == "__main__":
    main()
