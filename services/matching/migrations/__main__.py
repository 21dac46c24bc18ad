"""`python -m services.matching.migrations`: bring matching's database (MATCHING_DATABASE_URL) up to date."""

import sys

from services.matching.migrations import MIGRATIONS
from shared.migrations import main

sys.exit(main("matching", MIGRATIONS))
