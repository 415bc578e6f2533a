"""The ``triage`` console command."""
