"""What lets Inkwell grow past one machine on proven parts: PostgreSQL read replicas
(`replicas`) and background jobs on Redis (`jobs`)."""
