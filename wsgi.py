"""The WSGI entry point: ``gunicorn wsgi:app``."""
from rrp_pwa import create_app

app = create_app()
