"""DuckDB storage: schema migrations, connections that tolerate other processes, queries."""
