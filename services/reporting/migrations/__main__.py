"""`python -m services.reporting.migrations`: bring reporting's database (REPORTING_DATABASE_URL) up to date."""

import sys

from services.reporting.migrations import MIGRATIONS
from shared.migrations import main

sys.exit(main("reporting", MIGRATIONS))
