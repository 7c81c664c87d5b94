import { randomUUID } from 'node:crypto';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the raw text is the body
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export function projectId(label = 'p'): string {
  return `${label}-${randomUUID()}`;
}

/** Every event of a project's stream, through GET .../events. */
export async function readAllEvents(baseUrl: string, project: string): Promise<any[]> {
  const events: any[] = [];
  let from: number | null = 0;
  while (from !== null) {
    const page: JsonResponse = await request(
      baseUrl,
      'GET',
      `/v1/projects/${project}/events?fromRevision=${from}&limit=1000`,
    );
    if (page.status !== 200) throw new Error(`GET events: ${page.status} ${JSON.stringify(page.body)}`);
    events.push(...page.body.data);
    from = page.body.nextRevision;
  }
  return events;
}
