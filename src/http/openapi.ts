import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BEARER } from './openapi.decorators.js';

/** Where the UI is served; the document is at `${DOCS_PATH}-json` (and `-yaml`). */
export const DOCS_PATH = 'docs';

/**
 * `GET /docs` (the UI) and `GET /docs-json`: the document is generated from the controllers, their
 * DTOs and the decorators of `openapi.decorators.ts`, so it follows the code. Call before `init`.
 */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('conversation-log')
    .setDescription(
      'An event-sourced conversation log: every project is one event stream, and a message’s sequence is ' +
        'the revision of the event that created it. Every error is `application/problem+json` (RFC 9457). ' +
        'Routes under `/v1` need `Authorization: Bearer <JWT>` when authentication is on; ' +
        '`/health/*` and `/docs` stay open.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
    .addGlobalParameters({
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description:
        'The request id (1 to 128 of `A-Z a-z 0-9 . _ -`); echoed, and recorded as the events’ `correlationId`',
      schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
    })
    .build();
  SwaggerModule.setup(DOCS_PATH, app, () => SwaggerModule.createDocument(app, config));
}
