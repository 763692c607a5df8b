"""Rules of the postmortem family (PM): post-mortem documents, run by `auditor incident validate`."""
