"""The Taalhuis web console: pages for the coordinator and partners, fed by events."""
