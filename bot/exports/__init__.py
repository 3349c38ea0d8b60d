"""Exports and report: the coordinator's tables as XLSX or CSV, and the half-year report."""
