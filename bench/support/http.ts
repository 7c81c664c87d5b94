import http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One keep-alive connection, as a single sequential client would hold it. */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

export function request(
  url: string,
  options: {
    method?: string;
    json?: unknown;
    agent?: http.Agent;
    timeoutMs?: number;
    /** The Authorization header, when given: `Bearer <token>`. */
    authorization?: string;
  } = {},
): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1')
    throw new Error(`bench only talks to 127.0.0.1, not ${target.hostname}`);
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      {
        method: options.method ?? 'GET',
        agent: options.agent,
        headers: {
          ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
          ...(options.authorization ? { authorization: options.authorization } : {}),
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function parseJson<T>(body: string): T | undefined {
  try {
    return JSON.parse(body) as T;
  } catch {
    return undefined;
  }
}
