"""Certificates: the Ehrenamtsnachweis of a volunteer as a PDF."""
