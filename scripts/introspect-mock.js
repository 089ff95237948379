#!/usr/bin/env node
// A stand-in OAuth2 token introspection endpoint (RFC 7662) for tests:
// a POSTed token "valid" is active, any other is not. Listens on
// 127.0.0.1 on a free port and prints that port on its first line.
'use strict';
const http = require('http');

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', chunk => {
    body += chunk;
    if (body.length > 65536) req.destroy();
  });
  req.on('end', () => {
    const token = new URLSearchParams(body).get('token');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ active: token === 'valid' }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
