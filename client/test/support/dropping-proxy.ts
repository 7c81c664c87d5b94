import http from 'node:http';
import type net from 'node:net';

export interface DroppingProxy {
  baseUrl: string;
  /** The `message.delta` event blocks dropped so far (at most one). */
  dropped(): string[];
  /** The paths of the requests passed on so far, query included. */
  requests(): string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of `port` that passes everything on, except one `message.delta` event of
 * a live stream: the first whose `delta` matches `drop`, removed whole (all its lines), as a
 * faulty intermediary would; the events after it come through. Reads whole event blocks so that
 * nothing else is cut.
 */
export async function droppingProxy(
  port: number,
  drop: (delta: { offset: number }) => boolean,
): Promise<DroppingProxy> {
  const dropped: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((incoming, outgoing) => {
    requests.push(incoming.url ?? '');
    const upstream = http.request(
      { host: '127.0.0.1', port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!String(answer.headers['content-type']).startsWith('text/event-stream'))
          return answer.pipe(outgoing);
        let pending = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          const blocks = (pending + chunk).split('\n\n');
          pending = blocks.pop() ?? '';
          for (const block of blocks) if (!shouldDrop(block)) outgoing.write(`${block}\n\n`);
        });
        answer.on('end', () => outgoing.end(pending));
      },
    );
    upstream.on('error', () => outgoing.destroy());
    // The client went away (a closed live stream): so does the request upstream.
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const shouldDrop = (block: string): boolean => {
    if (dropped.length > 0 || !block.split('\n').includes('event: message.delta')) return false;
    const data = block.split('\n').find((line) => line.startsWith('data: '));
    if (!data || !drop(JSON.parse(data.slice('data: '.length)) as { offset: number })) return false;
    dropped.push(block);
    return true;
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    dropped: () => [...dropped],
    requests: () => [...requests],
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
