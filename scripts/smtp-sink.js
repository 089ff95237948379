#!/usr/bin/env node
// A minimal SMTP server for tests: accepts every message and writes each
// one to DIR/<n>.eml. Listens on 127.0.0.1 on a free port and prints that
// port on its first line. Usage: node smtp-sink.js DIR
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: smtp-sink.js DIR');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
let count = 0;

const server = net.createServer(sock => {
  let buf = '';
  let inData = false;
  let message = [];
  const say = line => sock.write(line + '\r\n');
  say('220 sink ready');
  sock.on('data', chunk => {
    buf += chunk.toString('utf8');
    if (buf.length > 10 * 1024 * 1024) return sock.destroy();
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          fs.writeFileSync(path.join(dir, `${++count}.eml`), message.join('\n'));
          message = [];
          say('250 stored');
        } else {
          message.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO' || verb === 'HELO') say('250 sink');
      else if (verb === 'DATA') {
        inData = true;
        say('354 go ahead');
      } else if (verb === 'QUIT') {
        say('221 bye');
        sock.end();
      } else say('250 ok');
    }
  });
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
