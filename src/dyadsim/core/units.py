"""Units of time the whole package shares: the model steps in days, reports in months and trimesters."""
from __future__ import annotations

DAYS_PER_MONTH = 30.4375
"""Days in a postpartum month (365.25 / 12): month m covers postpartum days [30.4375 (m - 1), 30.4375 m)."""

TRIMESTER_DAYS = 98.0
"""Days in a trimester of the pregnancy as recorded (14 weeks)."""
