"""The mentor training: four days, eight half-day modules (docs/domain.md). A mentor is matchable once all are done."""

from __future__ import annotations

# The memorandum names the first four. Placeholder: the other four are assumed to be the
# programme's usual remaining half-days, to be confirmed with its training team (docs/domain.md).
TRAINING_MODULES: dict[str, str] = {
    "intercultural_communication": "Intercultural communication",
    "socio_professional_landscape": "The socio-professional landscape",
    "active_listening": "Active listening",
    "migration_and_refugee_journey": "Migration in Belgium and the refugee journey",
    "role_of_the_mentor": "The role and boundaries of the mentor",
    "job_search_and_recruitment": "Job search and recruitment today",
    "career_action_plan": "Building a career action plan with the mentee",
    "code_of_conduct": "The duo agreement and code of conduct",
}
