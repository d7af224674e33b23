"""The Streamlit web UI: data access, log-in, shared widgets and views."""
