"""`python -m imageset_search.server`: the `imageset-search` command line, for when its script is not on PATH."""

import sys

from imageset_search.server.cli import main

sys.exit(main())
