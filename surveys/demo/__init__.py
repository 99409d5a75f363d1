"""The demo county: its data, its casework history, and the guard that keeps it off a deployment."""
