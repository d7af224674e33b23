"""LEARN-GRPO analyst workbench: Streamlit app, shared UI and the `python -m workbench` CLI."""
