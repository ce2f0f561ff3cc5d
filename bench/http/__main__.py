"""Run bench.http: `python -m bench.http`."""

from bench.http.run import main

if __name__ == "__main__":
    main()
