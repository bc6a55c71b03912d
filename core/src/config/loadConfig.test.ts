import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, resolveDatabaseUrl } from './loadConfig';

describe('loadConfig', () => {
  it('interpolates ${VAR} and ${VAR:-default}, typing whole-value references as scalars', async () => {
    const { loaded, problems } = await loadConfig({
      inline: {
        server: { port: '${PORT}', host: '${HOST:-127.0.0.1}' },
        redis: { url: 'redis://${RHOST:-localhost}:6379/0' },
        database: { logSql: '${SQL_LOG:-false}' },
      },
      env: { PORT: '9001' },
    });
    assert.deepEqual(problems, []);
    assert.equal(loaded!.config.server.port, 9001);
    assert.equal(loaded!.config.server.host, '127.0.0.1');
    assert.equal(loaded!.config.redis.url, 'redis://localhost:6379/0');
    assert.equal(loaded!.config.database.logSql, false);
  });

  it('reports every missing variable and every invalid value at once, with paths', async () => {
    const { loaded, problems } = await loadConfig({
      inline: { server: { port: '${NOPE}', bodyLimit: 'lots' }, database: { migrate: 'sometimes' }, extra: 1 },
      env: {},
    });
    assert.equal(loaded, undefined);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.code]));
    assert.equal(byPath['server.port'], 'AIHUB_E_CONFIG_ENV_MISSING');
    assert.equal(byPath['server.bodyLimit'], 'AIHUB_E_CONFIG_INVALID');
    assert.equal(byPath['database.migrate'], 'AIHUB_E_CONFIG_INVALID');
    assert.equal(byPath.extra, 'AIHUB_E_CONFIG_UNKNOWN_KEY');
  });

  it('applies env overrides: well-known names, AIHUB__ paths and --port last', async () => {
    const { loaded } = await loadConfig({
      inline: { server: { port: 1000 } },
      env: {
        AIHUB_PORT: '2000',
        DATABASE_URL: 'postgres://u:p@db/x',
        REDIS_URL: 'redis://r:6379',
        AIHUB__SERVER__BODY_LIMIT: '2mb',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/',
      },
      port: 3000,
    });
    assert.equal(loaded!.config.server.port, 3000);
    assert.equal(loaded!.config.database.url, 'postgres://u:p@db/x');
    assert.equal(loaded!.config.redis.url, 'redis://r:6379');
    assert.equal(loaded!.config.server.bodyLimit, 2 * 1024 * 1024);
    assert.equal(loaded!.config.telemetry.tracing.endpoint, 'http://jaeger:4318/v1/traces');
    assert.equal(loaded!.config.telemetry.tracing.protocol, 'http/protobuf', 'the OpenTelemetry default');
  });

  it('takes the OTLP protocol from OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL and refuses gRPC with its config path', async () => {
    const protocol = async (env: Record<string, string>) =>
      (await loadConfig({ inline: {}, env })).loaded?.config.telemetry.tracing.protocol;
    assert.equal(await protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), 'http/json');
    assert.equal(
      await protocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
      'http/protobuf',
    );
    const { loaded, problems } = await loadConfig({ inline: {}, env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    assert.equal(loaded, undefined);
    assert.ok(
      problems.some((p) => p.path === 'telemetry.tracing.protocol'),
      JSON.stringify(problems),
    );
  });

  it('reads YAML files, reports syntax errors and missing files as problems', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aihub-config-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'server:\n  port: 8181\n');
    assert.equal((await loadConfig({ file: good, env: {} })).loaded!.config.server.port, 8181);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'server:\n  port: [1,\n');
    assert.equal((await loadConfig({ file: bad, env: {} })).problems[0].code, 'AIHUB_E_CONFIG_PARSE');
    const dup = path.join(dir, 'dup.yaml');
    writeFileSync(dup, 'server:\n  port: 1\n  port: 2\n');
    assert.equal((await loadConfig({ file: dup, env: {} })).problems[0].code, 'AIHUB_E_CONFIG_PARSE');
    assert.equal(
      (await loadConfig({ file: path.join(dir, 'missing.yaml'), env: {} })).problems[0].code,
      'AIHUB_E_CONFIG_NOT_FOUND',
    );
  });

  it('defaults to an SQLite file under the data directory', async () => {
    const { loaded } = await loadConfig({ inline: {}, env: { AIHUB_DATA_DIR: '/tmp/aihub-data-x' } });
    assert.equal(resolveDatabaseUrl(loaded!.config), 'sqlite:/tmp/aihub-data-x/aihub.sqlite');
  });
});
