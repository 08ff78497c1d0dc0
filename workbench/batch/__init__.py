"""Headless notebook runs (papermill) and their outputs under ``data/runs``."""
