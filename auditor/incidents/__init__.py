"""Incident response: reading incident-response entries (IR rules), post-mortem documents (PM rules),
the process policy both are held to, and the trigger / root-cause statistics of a folder of post-mortems."""
