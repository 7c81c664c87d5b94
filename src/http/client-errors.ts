import { Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Problem, PROBLEM_CONTENT_TYPE } from './problem.js';

const logger = new Logger('HTTP');

/**
 * What Node's HTTP parser refuses before any route runs: a request that took too long, headers
 * too large, or framing that is not HTTP (conflicting Content-Length and Transfer-Encoding, bad
 * chunks, bare LF). Each is a client error, never the service's.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new Problem(
        408,
        'request-timeout',
        'The request was not received in time; the connection is closed',
      );
    case 'HPE_HEADER_OVERFLOW':
      return new Problem(
        431,
        'headers-too-large',
        'The request headers are larger than this service accepts',
      );
    default:
      return new Problem(400, 'malformed-request', 'The request is not well-formed HTTP/1.1');
  }
}

/**
 * Node's `clientError` handler: answers with problem details and closes the connection, unless
 * the client is already gone or a response on this connection has started.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  const problem = clientErrorProblem(error);
  logger.debug(`client error ${problem.status}: ${error.code ?? error.message}`);
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(problem.body());
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}
