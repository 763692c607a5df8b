"""Rules of the suppression family: inline suppressions that no longer silence anything."""
