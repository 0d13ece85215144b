"""Serves the greeting of $SETTINGS_DIR/app.ini on port 8000."""
import configparser
import http.server
import os

settings = configparser.ConfigParser()
settings.read(os.path.join(os.environ.get("SETTINGS_DIR", "/etc/webapp"), "app.ini"))
greeting = settings.get("server", "greeting", fallback="Hello").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(greeting + b"\n")


http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
