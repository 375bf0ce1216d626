import sys

from nlp_models.cli import main

sys.exit(main())
