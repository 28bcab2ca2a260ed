"""A small inventory service: products, stock levels, orders and reports."""
