"""Rules of the incident family (IR): incident-response entries, selected by the `entries` keys of
`rules/incident.yml` (by default, skills tagged `incident-response`)."""
