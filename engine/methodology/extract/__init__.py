"""Methodology PDFs to draft JSON: limits, content, text and tables, rules, the draft, rendering."""
