import 'reflect-metadata';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/config.js';
import { RouteMethods } from '../../src/http/routes.js';

/**
 * The service's app as `createApp` builds it, on `DATABASE_URL`, printing the routes Fastify
 * registered as one JSON line once it listens: a test reads them beside the document it serves.
 */
const ROUTES_LINE = 'routes: ';

const routes = new RouteMethods();
const config = loadConfig();
const app = await createApp(config, routes);
await app.listen({ port: config.port, host: config.host });
console.log(`${ROUTES_LINE}${JSON.stringify(routes.registered())}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
