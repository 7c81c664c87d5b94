import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as text. */
  text: string;
  /** True when the server closed the connection (rather than the wait running out). */
  closed: boolean;
  /** Milliseconds from connecting to the close or the end of the wait. */
  elapsedMs: number;
}

/**
 * Writes bytes exactly as given on a fresh TCP connection, for requests no HTTP client would
 * send (stalled bodies, malformed framing), and collects the answer until the server closes
 * the connection or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { waitMs?: number; keepOpen?: (socket: Socket) => void } = {},
): Promise<RawExchange> {
  const waitMs = options.waitMs ?? 5_000;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      options.keepOpen?.(socket);
    });
  });
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The first HTTP/1.1 response in raw text (Content-Length framed). */
export function parseResponse(text: string): ParsedResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP response in: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const rest = text.slice(end + 4);
  return { status, headers, body: length === undefined ? rest : rest.slice(0, length) };
}

/** Every HTTP/1.1 response in raw text, in order (Content-Length framed). */
export function parseResponses(text: string): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let rest = text;
  while (rest.includes('\r\n\r\n')) {
    const response = parseResponse(rest);
    responses.push(response);
    const consumed = rest.indexOf('\r\n\r\n') + 4 + response.body.length;
    rest = rest.slice(consumed);
  }
  return responses;
}
