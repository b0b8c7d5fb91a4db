"""`python -m rempart` is the `rempart` console script."""

from rempart.cli.main import main

main()
