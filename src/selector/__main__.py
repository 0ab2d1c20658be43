"""``python -m selector ...``: the command line, as the ``selector`` script runs it."""

from selector.cli import run

if __name__ == "__main__":
    run()
