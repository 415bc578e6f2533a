"""One router per resource: diagnoses, terms, cases, health."""
