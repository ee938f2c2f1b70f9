"""The standard tables: each builds a neutral description that every renderer shares."""
