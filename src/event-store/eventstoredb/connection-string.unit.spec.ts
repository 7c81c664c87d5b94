import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/config.js';
import { connectionOption, withConnectionOptions } from './connection-string.js';

const withStore = (env: Record<string, string>) =>
  loadConfig({
    EVENT_STORE: 'eventstoredb',
    EVENTSTORE_CONNECTION_STRING: 'esdb://a:2113?tls=false',
    ...env,
  });

describe('EventStoreDB connection options from their own variables', () => {
  it('are unset unless set, leaving the connection string as it is', () => {
    const config = withStore({});
    expect(config.eventStoreConnectionOptions).toEqual({});
    expect(
      withConnectionOptions(config.eventStoreConnectionString!, config.eventStoreConnectionOptions),
    ).toBe('esdb://a:2113?tls=false');
  });

  it('reads every one, named as the client names them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esdb-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not checked here');
    expect(
      withStore({
        EVENTSTORE_DEADLINE_MS: '1500',
        EVENTSTORE_KEEPALIVE_INTERVAL_MS: '20000',
        EVENTSTORE_KEEPALIVE_TIMEOUT_MS: '-1',
        EVENTSTORE_NODE_PREFERENCE: 'read_only_replica',
        EVENTSTORE_TLS_CA_FILE: ca,
      }).eventStoreConnectionOptions,
    ).toEqual({
      defaultDeadline: 1500,
      keepAliveInterval: 20_000,
      keepAliveTimeout: -1,
      nodePreference: 'read_only_replica',
      tlsCAFile: ca,
    });
  });

  it.each([
    ['EVENTSTORE_DEADLINE_MS', '0'],
    ['EVENTSTORE_DEADLINE_MS', 'soon'],
    ['EVENTSTORE_DEADLINE_MS', '-1'],
    ['EVENTSTORE_KEEPALIVE_INTERVAL_MS', '-2'],
    ['EVENTSTORE_KEEPALIVE_TIMEOUT_MS', '1.5'],
    ['EVENTSTORE_NODE_PREFERENCE', 'nearest'],
    ['EVENTSTORE_NODE_PREFERENCE', 'readOnlyReplica'],
    ['EVENTSTORE_TLS_CA_FILE', '/nonexistent/ca.pem'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    expect(() => withStore({ [name]: value })).toThrow(ConfigError);
    expect(() => withStore({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('are checked on the PostgreSQL backend too, so a bad value never waits for a switch', () => {
    expect(() => loadConfig({ EVENTSTORE_DEADLINE_MS: 'x' })).toThrow(/EVENTSTORE_DEADLINE_MS:/);
  });
});

describe('withConnectionOptions', () => {
  it('adds the options to a string without a query, or after its query', () => {
    expect(withConnectionOptions('esdb://a:2113', { defaultDeadline: 500 })).toBe(
      'esdb://a:2113?defaultDeadline=500',
    );
    expect(withConnectionOptions('esdb://a:2113/', { nodePreference: 'follower' })).toBe(
      'esdb://a:2113?nodePreference=follower',
    );
    expect(
      withConnectionOptions('esdb+discover://u:p@a:2113,b:2113?tls=false', {
        keepAliveInterval: 15_000,
        keepAliveTimeout: -1,
      }),
    ).toBe('esdb+discover://u:p@a:2113,b:2113?tls=false&keepAliveInterval=15000&keepAliveTimeout=-1');
  });

  it('a variable wins over the same option in the string, however the string spells its key', () => {
    const merged = withConnectionOptions(
      'esdb://a:2113?DefaultDeadline=9000&tls=false&default_deadline=8000&node-preference=leader',
      { defaultDeadline: 700, nodePreference: 'random' },
    );
    expect(merged).toBe('esdb://a:2113?tls=false&defaultDeadline=700&nodePreference=random');
    expect(connectionOption(merged, 'defaultDeadline')).toBe('700');
  });

  it('encodes a file path the way the client decodes it', () => {
    const merged = withConnectionOptions('esdb://a:2113', { tlsCAFile: '/etc/ca certs/ca.pem' });
    expect(decodeURIComponent(connectionOption(merged, 'tlsCAFile')!)).toBe('/etc/ca certs/ca.pem');
  });

  it('reads an option as the client does: any spelling of its key, the last one', () => {
    expect(
      connectionOption('esdb://a:2113?default-deadline=100&DEFAULTDEADLINE=200', 'defaultDeadline'),
    ).toBe('200');
    expect(connectionOption('esdb://a:2113?tls=false', 'defaultDeadline')).toBeUndefined();
    expect(connectionOption('esdb://a:2113', 'defaultDeadline')).toBeUndefined();
  });
});
