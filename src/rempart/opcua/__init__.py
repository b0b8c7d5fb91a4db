"""OPC UA adapters: the twin behind a server facade, and the machine-event client."""
