"""Master data: molecules, vial formats, products, hospitals and sites, master batch records."""
