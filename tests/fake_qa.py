"""The `qa` command with the tests' fake embedder registered as backend "test-hash": crash and hostile-folder
tests run the real CLI in a subprocess without paying for the model. Usage: python tests/fake_qa.py index ..."""

import os
import sys

from helpers import register_fake_backend

from qa.cli import main

if __name__ == "__main__":
    os.environ.setdefault("QA_BACKEND", "test-hash")
    register_fake_backend()
    sys.exit(main(sys.argv[1:]))
