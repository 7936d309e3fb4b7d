import sys

from tltutor.cli import main

sys.exit(main())
