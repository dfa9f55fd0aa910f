"""`python -m file_svc.packager`: the packager process."""

from .worker import main

main()
