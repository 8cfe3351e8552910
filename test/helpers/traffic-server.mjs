// A small real HTTP server for the system tests, run with plain `node` inside the server
// namespace (possibly under mptcpize). Usage: node traffic-server.mjs <port> <download-file>
//   GET  /download  the file's bytes
//   POST /upload    answers JSON { bytes, sha256, peer } of the body it received
//   GET  /hold      waits until a line "release" arrives on stdin, then sends the file
// Prints "listening" once it accepts, "held <n>" when n /hold requests are waiting.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import readline from 'node:readline';

const [portArg, downloadFile] = process.argv.slice(2);
const { size } = await stat(downloadFile);
const waiting = [];

function sendFile(response) {
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  createReadStream(downloadFile).pipe(response);
}

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/download') return sendFile(response);
  if (request.method === 'GET' && request.url === '/hold') {
    waiting.push(response);
    process.stdout.write(`held ${waiting.length}\n`);
    return;
  }
  if (request.method === 'POST' && request.url === '/upload') {
    const hash = createHash('sha256');
    let bytes = 0;
    request.on('data', (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ bytes, sha256: hash.digest('hex'), peer: request.socket.remoteAddress }));
    });
    return;
  }
  response.writeHead(404).end();
});

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'release') return;
    for (const response of waiting.splice(0)) sendFile(response);
  })
  // The test that started it is gone: never outlive it.
  .on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

server.listen(Number(portArg), '0.0.0.0', () => process.stdout.write('listening\n'));
