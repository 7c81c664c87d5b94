import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CONSOLE_PATH } from '../src/console/console-path.js';
import { DOCS_PATH } from '../src/http/openapi.js';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, spawnService } from './support/service.js';

/** The built app, printing its route table (see support/route-table-service.ts) beside the document it serves. */
let service: RunningService;
let baseUrl: string;
let routes: { method: string; url: string }[];
let document: any;

beforeAll(async () => {
  service = await spawnService({
    main: path.resolve('dist/test/support/route-table-service.js'),
    env: { DATABASE_URL: await createTestDatabase('openapi') },
  });
  baseUrl = service.baseUrl;
  const line = service
    .output()
    .split('\n')
    .find((text) => text.startsWith('routes: '));
  routes = JSON.parse(line?.slice('routes: '.length) ?? '[]');
  const response = await request(baseUrl, 'GET', `/${DOCS_PATH}-json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = response.body;
});
afterAll(async () => {
  await service?.stop();
});

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `/v1/projects/:projectId/messages` → `/v1/projects/{projectId}/messages`, as OpenAPI writes it. */
function templateOf(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function documentedOperations(): Set<string> {
  return new Set(
    Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => OPERATION_METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );
}

/**
 * Every route Fastify has, as `METHOD /template`, but the document's own (the UI, its files and
 * the document itself), the web console's and catch-all routes (static files, a CORS preflight):
 * those are not operations of the API.
 */
function registeredOperations(): { method: string; path: string }[] {
  const docs = new RegExp(`^/${DOCS_PATH}(?:$|/|-json$|-yaml$)`);
  const console = new RegExp(`^${CONSOLE_PATH}(?:$|/)`);
  return routes
    .filter(({ url }) => !docs.test(url) && !console.test(url) && !url.includes('*'))
    .map(({ method, url }) => ({ method, path: templateOf(url) }));
}

describe('the OpenAPI document at /docs-json', () => {
  it('is a valid OpenAPI document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('documents every route the service registers, and nothing it does not', () => {
    const registered = registeredOperations();
    const all = new Set(registered.map(({ method, path }) => `${method} ${path}`));
    const hasGet = (path: string) => all.has(`GET ${path}`);
    // Fastify answers HEAD for every GET by itself: such a HEAD is the GET's, and needs no operation.
    const own = registered
      .filter(({ method, path }) => method !== 'HEAD' || !hasGet(path))
      .map(({ method, path }) => `${method} ${path}`);
    const documented = documentedOperations();

    expect(own.length).toBeGreaterThanOrEqual(13); // the routes of this version, at least
    expect(own.filter((operation) => !documented.has(operation))).toEqual([]);
    expect([...documented].filter((operation) => !all.has(operation))).toEqual([]);
  });

  it('describes the Message resource with exactly the fields a created message has', async () => {
    const created = await request(baseUrl, 'POST', `/v1/projects/${projectId('openapi')}/messages`, {
      content: 'hello',
    });
    expect(created.status).toBe(201);
    const message = document.components.schemas.Message;
    expect(Object.keys(message.properties).sort()).toEqual(Object.keys(created.body).sort());
    expect([...message.required].sort()).toEqual(Object.keys(created.body).sort());
    expect(message.properties.role).toMatchObject({ enum: ['user', 'assistant'] });
    expect(message.properties.replyTo).toMatchObject({ format: 'uuid', nullable: true });
  });

  it('gives a command its body, its required fields, its preconditions and its ETag', () => {
    const post = document.paths['/v1/projects/{projectId}/messages'].post;
    const body = post.requestBody.content['application/json'].schema.$ref.split('/').pop();
    const schema = document.components.schemas[body];
    expect(schema.required).toEqual(['content']);
    expect(schema.properties.content).toMatchObject({ minLength: 1, maxLength: 100_000 });
    expect(schema.properties.imageUrls).toMatchObject({ maxItems: 20 });
    expect(document.components.schemas.StartTurnBody.required).toEqual(['user']);

    const headers = post.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect(headers).toEqual(expect.arrayContaining(['If-Match', 'If-None-Match', 'X-Request-Id']));
    expect(Object.keys(post.responses['201'].headers)).toEqual(
      expect.arrayContaining(['ETag', 'Location', 'X-Request-Id']),
    );
    expect(Object.keys(post.responses['200'].headers)).toContain('ETag');
    expect(post.security).toEqual([{ bearer: [] }]);
  });

  it('answers every error as problem details, with Retry-After where a client should wait', () => {
    const post = document.paths['/v1/projects/{projectId}/messages'].post;
    for (const status of ['400', '401', '403', '409', '412', '413', '415', '429', '503']) {
      expect(post.responses[status].content['application/problem+json; charset=utf-8'].schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    expect(Object.keys(post.responses['503'].headers)).toContain('Retry-After');
    expect(document.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail']);
    const reserve = document.paths['/v1/projects/{projectId}/assistant-messages'].post;
    expect(Object.keys(reserve.responses)).toContain('422');
  });

  it('describes reads with If-None-Match, 304 and ETag, the live stream as text/event-stream, health as open', () => {
    const page = document.paths['/v1/projects/{projectId}/messages'].get;
    expect(Object.keys(page.responses)).toEqual(expect.arrayContaining(['200', '304', '503']));
    expect(page.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['minRevision', 'If-None-Match', 'limit', 'before', 'after']),
    );
    expect(Object.keys(page.responses['200'].headers)).toContain('ETag');

    const live = document.paths['/v1/projects/{projectId}/live'].get;
    expect(Object.keys(live.responses['200'].content)).toEqual(['text/event-stream']);
    expect(live.parameters.map((p: any) => p.name)).toContain('Last-Event-ID');

    const ready = document.paths['/health/ready'].get;
    expect(ready.security).toBeUndefined();
    expect(Object.keys(ready.responses)).toEqual(['200', '503']);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('GET /docs', () => {
  it('serves the UI as HTML', async () => {
    const response = await fetch(`${baseUrl}/${DOCS_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('swagger');
  });
});
