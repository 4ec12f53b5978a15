"""Report generation: JSON, JUnit XML and an HTML page from campaign results."""
