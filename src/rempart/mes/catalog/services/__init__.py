"""Use cases of the catalogue: reference data, and master batch records with their workflow."""
