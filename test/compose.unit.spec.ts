import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../src/config/config.js';

/**
 * The deployment files, checked as far as a machine without Docker can: docker-compose.yml,
 * docker-compose.cluster.yml, the Dockerfile, .dockerignore and the nginx configuration are parsed
 * and compared with the configuration the service reads and with each other. Nothing is run
 * under Docker here.
 */

interface Healthcheck {
  test?: string[] | string;
}
interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: Healthcheck;
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.cluster.yml'] as const;

function compose(file: string): ComposeFile {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value ?? '')]));
}

const isBuilt = (service: ComposeService) => service.build !== undefined;
const isKurrentDb = (service: ComposeService) =>
  /\/kurrentdb:|^eventstore\/eventstore:/.test(service.image ?? '');
const isPostgres = (service: ComposeService) => /^postgres:/.test(service.image ?? '');

/** `name:tag` with a version in the tag (a digit), or a digest; never `latest`, never untagged. */
function pinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && !/latest/i.test(tag) && /\d/.test(tag);
}

/** A Dockerfile as its instructions, continuation lines joined and comments dropped, by stage. */
interface Instruction {
  keyword: string;
  args: string;
}
function dockerfileStages(text: string): { from: string; name?: string; instructions: Instruction[] }[] {
  const lines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const stages: { from: string; name?: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [from = '', as, name] = args.split(/\s+/);
      stages.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = dockerfileStages(readFileSync('Dockerfile', 'utf8'));
const runtime = dockerfile.at(-1)!;
const build = dockerfile[0]!;
const runtimeArgs = (keyword: string) =>
  runtime.instructions.filter((instruction) => instruction.keyword === keyword).map((i) => i.args);

/** `ENV A=1 B=2` of the final stage, which every container of the image starts with. */
function imageEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of runtimeArgs('ENV')) {
    for (const [, name = '', value = ''] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[name] = value.replace(/^"|"$/g, '');
    }
  }
  return env;
}

describe.each(COMPOSE_FILES)('%s', (file) => {
  const { services, volumes = {} } = compose(file);
  const entries = Object.entries(services);
  const built = entries.filter(([, service]) => isBuilt(service));

  it('has KurrentDB, PostgreSQL and the service built from the Dockerfile', () => {
    expect(entries.some(([, service]) => isKurrentDb(service))).toBe(true);
    expect(entries.some(([, service]) => isPostgres(service))).toBe(true);
    expect(built.length).toBeGreaterThan(0);
    for (const [, service] of built) {
      const spec = typeof service.build === 'string' ? { context: service.build } : service.build!;
      expect(spec.context).toBe('.');
      expect(spec.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    }
  });

  it('pins every image it pulls (a version tag, not latest)', () => {
    for (const [name, service] of entries) {
      if (isBuilt(service)) continue; // its image is the local name of what it builds
      expect({ name, image: service.image, pinned: pinned(service.image ?? '') }).toEqual({
        name,
        image: service.image,
        pinned: true,
      });
    }
  });

  it('health-checks every service (the built one through the image HEALTHCHECK)', () => {
    for (const [name, service] of entries) {
      const test = service.healthcheck?.test;
      const checked = isBuilt(service) ? runtimeArgs('HEALTHCHECK').length === 1 : test !== undefined;
      expect({ name, checked }).toEqual({ name, checked: true });
      if (test !== undefined) {
        expect(Array.isArray(test) ? test[0] : 'CMD-SHELL').toMatch(/^CMD(-SHELL)?$/);
      }
    }
  });

  it('starts a service only after what it depends on is healthy', () => {
    for (const [name, service] of entries) {
      const dependsOn = service.depends_on ?? {};
      expect(Array.isArray(dependsOn)).toBe(false); // the list form waits for nothing
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        expect({ name, dependency, condition }).toEqual({ name, dependency, condition: 'service_healthy' });
        const target = services[dependency];
        expect(target).toBeDefined();
        expect(target!.healthcheck !== undefined || isBuilt(target!)).toBe(true);
      }
    }
    for (const [name, service] of built) {
      const dependsOn = Object.keys(service.depends_on ?? {});
      const stores = entries.filter(([, s]) => isKurrentDb(s) || isPostgres(s)).map(([n]) => n);
      expect({ name, dependsOn: dependsOn.sort() }).toEqual({ name, dependsOn: stores.sort() });
    }
  });

  it('keeps KurrentDB and PostgreSQL data in named volumes', () => {
    for (const [name, service] of entries.filter(([, s]) => isKurrentDb(s) || isPostgres(s))) {
      const mount = isKurrentDb(service) ? '/var/lib/kurrentdb' : '/var/lib/postgresql';
      const volume = (service.volumes ?? []).find((spec) => spec.endsWith(`:${mount}`));
      expect({ name, volume: volume !== undefined }).toEqual({ name, volume: true });
      expect(Object.keys(volumes)).toContain(volume!.split(':')[0]);
    }
  });

  it('runs KurrentDB as documented for an insecure development node without projections', () => {
    for (const [, service] of entries.filter(([, s]) => isKurrentDb(s))) {
      const env = environment(service);
      expect(env).toMatchObject({ KURRENTDB_INSECURE: 'true', KURRENTDB_RUN_PROJECTIONS: 'None' });
      expect(Number(env.KURRENTDB_CLUSTER_SIZE)).toBe(entries.filter(([, s]) => isKurrentDb(s)).length);
      expect(service.healthcheck?.test).toEqual(['CMD', 'curl', '-fsS', 'http://localhost:2113/health/live']);
    }
  });

  describe.each(built.map(([name]) => name))('the service %s', (name) => {
    const service = services[name]!;
    const env = environment(service);

    it('sets only variables the configuration reads, literally', () => {
      for (const [variable, value] of Object.entries(env)) {
        expect(CONFIG_VARIABLES).toContain(variable);
        expect(value).not.toContain('${'); // no interpolation: the value is what the test checks
      }
    });

    it('is configured validly for the EventStoreDB backend, image defaults included', () => {
      const config = loadConfig({ ...imageEnvironment(), ...env });
      expect(config).toMatchObject({ eventStore: 'eventstoredb', host: '0.0.0.0' });
      expect(config.databaseUrl).toBeDefined();
    });

    it('points at KurrentDB nodes of this file, on their HTTP/gRPC port', () => {
      const { eventStoreConnectionString } = loadConfig({ ...imageEnvironment(), ...env });
      const [, scheme, hosts = ''] = /^([a-z+]+):\/\/([^/?]+)/.exec(eventStoreConnectionString!)!;
      const nodes = entries.filter(([, s]) => isKurrentDb(s)).map(([n]) => n);
      const targets = hosts.split(',').map((host) => host.split(':'));
      expect(targets.map(([host]) => host).sort()).toEqual(nodes.sort());
      for (const [, port] of targets) expect(port).toBe('2113');
      expect(scheme).toBe(nodes.length > 1 ? 'esdb+discover' : 'esdb');
      expect(eventStoreConnectionString).toMatch(/[?&]tls=false(&|$)/); // the nodes are insecure
    });

    it('reaches PostgreSQL with the user, password and database its container creates', () => {
      const url = new URL(loadConfig({ ...imageEnvironment(), ...env }).databaseUrl!);
      const postgres = services[url.hostname];
      expect(postgres && isPostgres(postgres)).toBe(true);
      expect(url.port).toBe('5432');
      expect(environment(postgres!)).toMatchObject({
        POSTGRES_USER: decodeURIComponent(url.username),
        POSTGRES_PASSWORD: decodeURIComponent(url.password),
        POSTGRES_DB: url.pathname.slice(1),
      });
    });
  });
});

describe('docker-compose.cluster.yml', () => {
  const { services } = compose('docker-compose.cluster.yml');
  const nodes = Object.entries(services).filter(([, service]) => isKurrentDb(service));

  it('has three KurrentDB nodes that gossip with each other', () => {
    expect(nodes).toHaveLength(3);
    const address = (service: ComposeService) =>
      (service.networks as Record<string, { ipv4_address?: string }>).cluster?.ipv4_address;
    for (const [name, service] of nodes) {
      const env = environment(service);
      expect(env.KURRENTDB_DISCOVER_VIA_DNS).toBe('false');
      expect(env.KURRENTDB_REPLICATION_IP).toBe(address(service));
      expect(env.KURRENTDB_ADVERTISE_HOST_TO_CLIENT_AS).toBe(name);
      const others = nodes.filter(([other]) => other !== name).map(([, other]) => `${address(other)}:2113`);
      expect(env.KURRENTDB_GOSSIP_SEED?.split(',').sort()).toEqual(others.sort());
    }
  });

  it('runs two service instances behind nginx, which proxies to each of them', () => {
    const instances = Object.entries(services).filter(([, service]) => isBuilt(service));
    expect(instances).toHaveLength(2);
    const nginx = readFileSync('deploy/nginx.conf', 'utf8');
    const upstream = [...nginx.matchAll(/^\s*server\s+([\w-]+):(\d+)/gm)].map(([, host, port]) => ({
      host,
      port,
    }));
    const port = imageEnvironment().PORT;
    expect(upstream).toEqual(instances.map(([host]) => ({ host, port })));
    expect(services.nginx?.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(Object.keys(services.nginx?.depends_on ?? {}).sort()).toEqual(
      instances.map(([name]) => name).sort(),
    );
    expect(nginx).toMatch(/proxy_buffering off/); // live updates are server-sent events
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, every base image pinned', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile)
      expect({ from: stage.from, pinned: pinned(stage.from) }).toEqual({
        from: stage.from,
        pinned: true,
      });
    const buildRuns = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(buildRuns.some((run) => /^npm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
    expect(buildRuns).toContain('npm run build');
  });

  it('copies into the build stage everything the compile reads', () => {
    const copied = build.instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const tsconfig = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as {
      include: string[];
      files: string[];
    };
    for (const needed of [...tsconfig.include, ...tsconfig.files, 'tsconfig.json', 'tsconfig.build.json']) {
      const covered = copied.some((source) => needed === source || needed.startsWith(`${source}/`));
      expect({ needed, covered }).toEqual({ needed, covered: true });
    }
  });

  it('installs only production dependencies in the final stage and copies in the compiled output', () => {
    const runs = runtimeArgs('RUN');
    expect(runs.some((run) => /^npm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(runs.join('\n')).not.toMatch(/npm (install|i)\b|npm run build/);
    expect(runtimeArgs('COPY')).toContain(`--from=${build.name} /app/dist ./dist`);
  });

  it('runs as a user other than root, in production, listening on all interfaces on port 3000', () => {
    const users = runtimeArgs('USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // After every RUN, so that nothing the image runs as is root at start-up.
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'));
    expect(runtimeArgs('EXPOSE')).toEqual(['3000']);
    expect(imageEnvironment()).toEqual({ HOST: '0.0.0.0', PORT: '3000', NODE_ENV: 'production' });
    // In production the image starts only with authentication configured, or explicitly without it.
    expect(() => loadConfig(imageEnvironment())).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL/);
    expect(loadConfig({ ...imageEnvironment(), AUTH_DISABLED: 'true' })).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
    });
  });

  it('starts the compiled service', () => {
    expect(runtimeArgs('CMD')).toEqual(['["node", "dist/src/main.js"]']);
    expect(existsSync('src/main.ts')).toBe(true); // compiled to dist/src/main.js (tsconfig outDir, rootDir)
  });

  it('keeps dependencies, build output and local data out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.git']));
    for (const needed of [
      'package.json',
      'package-lock.json',
      'src',
      'projections',
      'bench',
      'test',
      'tsconfig.json',
    ]) {
      expect(ignored).not.toContain(needed);
    }
  });

  describe('its HEALTHCHECK', () => {
    const healthcheck = runtimeArgs('HEALTHCHECK')[0] ?? '';
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3)) as string[];
    let server: Server;
    let status = 200;
    let asked: string | undefined;

    beforeAll(async () => {
      server = createServer((request, response) => {
        asked = request.url;
        response.writeHead(status).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** Runs the `node -e` script as the container would, with its exit code as the result. */
    const probe = (port: number) =>
      new Promise<number>((resolve) => {
        const script = command[2]!;
        const process = { env: { PORT: String(port) }, exit: resolve };
        new Function('process', script)(process);
      });

    it('is node fetching /health/ready, with a timeout, needing no curl in the image', () => {
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      expect(command[2]).toContain('/health/ready');
      expect(command[2]).toContain('AbortSignal.timeout(');
      expect(healthcheck).toMatch(/--timeout=\d+s/);
    });

    it('passes on 200 from /health/ready and fails on 503 or nothing listening', async () => {
      const { port } = server.address() as AddressInfo;
      status = 200;
      expect(await probe(port)).toBe(0);
      expect(asked).toBe('/health/ready');
      status = 503;
      expect(await probe(port)).toBe(1);
      server.close();
      expect(await probe(port)).toBe(1);
    });
  });
});
