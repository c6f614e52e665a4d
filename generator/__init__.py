"""Turns spec/project-api.yaml into the typed client in generated/ (`make generate`)."""
