import sys

from reelhouse_cli import main

sys.exit(main())
