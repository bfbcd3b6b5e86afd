"""System endpoints: health probes and the offline API docs pages."""
