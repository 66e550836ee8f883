"""Taalhuis shared package: the public event contracts and the messaging building blocks."""
