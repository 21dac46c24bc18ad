"""`python -m services.intake.migrations`: bring intake's database (INTAKE_DATABASE_URL) up to date."""

import sys

from services.intake.migrations import MIGRATIONS
from shared.migrations import main

sys.exit(main("intake", MIGRATIONS))
