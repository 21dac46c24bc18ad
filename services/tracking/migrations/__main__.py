"""`python -m services.tracking.migrations`: bring tracking's database (TRACKING_DATABASE_URL) up to date."""

import sys

from services.tracking.migrations import MIGRATIONS
from shared.migrations import main

sys.exit(main("tracking", MIGRATIONS))
