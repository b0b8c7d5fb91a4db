"""People, roles, qualifications, log-in protection and sessions."""
