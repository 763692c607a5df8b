"""`auditor serve`: the report and the ticket queue as a local web app."""
