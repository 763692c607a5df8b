"""Checks: rules that read entries and say what is wrong with them. Rules never write."""
