"""Run bench.turns: `python -m bench.turns [--profile]`."""

from bench.turns.run import main

if __name__ == "__main__":
    main()
