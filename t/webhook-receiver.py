# t/webhook-receiver.py PORTFILE DIR [STATUS]: a webhook receiver for
# t/4200.  Listens on 127.0.0.1 at a free port (written to PORTFILE once
# listening) and answers every POST with STATUS (default 200), keeping
# request N as DIR/N.path, DIR/N.headers ("Name: value" lines, names
# lower-cased, in order) and DIR/N.body (the bytes as received).
import http.server
import os
import sys

portfile, outdir = sys.argv[1], sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else 200
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        n = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(n)
        count += 1
        base = os.path.join(outdir, str(count))
        with open(base + '.headers', 'w') as f:
            for k, v in self.headers.items():
                f.write('%s: %s\n' % (k.lower(), v))
        with open(base + '.body', 'wb') as f:
            f.write(body)
        # The path last: its presence says the request is complete.
        with open(base + '.path', 'w') as f:
            f.write(self.path + '\n')
        self.send_response(status)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(('127.0.0.1', 0), Handler)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
