"""`python -m cocalc_api.cli`: the same as `cocalc-project`."""

from cocalc_api.cli import console_main

if __name__ == "__main__":
    console_main()
