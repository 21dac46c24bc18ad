"""The dashboard's page, script, style and vendored chart library (static/), served by reporting: no data in them."""
