import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles, PROVISIONING_DIR, REPO_ROOT, RULES_FILE } from './artifacts';
import { JAEGER_UID, PROMETHEUS_UID } from './dashboards';
import { dashboardProviderDoc, datasourcesDoc, GRAFANA_DASHBOARD_PATH } from './provisioning';
import { rulesDoc } from './rules';
import { toYaml, type YamlValue } from './yaml';

/**
 * The compose stack and its files, checked without a Docker daemon: `docker-compose config` (Debian's
 * docker-compose; CI installs it), `promtool check config`, the generated YAML read back by a real
 * YAML parser (PyYAML, which docker-compose depends on), and the Dockerfile and nginx settings that
 * matter in production.
 */

const DOCKER = path.join(REPO_ROOT, 'docker');
const COMPOSE = path.join(DOCKER, 'compose.yaml');
const INSTALL = {
  'docker-compose': 'apt-get update && apt-get install -y --no-install-recommends docker-compose',
  promtool: 'apt-get update && apt-get install -y --no-install-recommends prometheus',
  python3:
    'apt-get update && apt-get install -y --no-install-recommends docker-compose (it brings python3 and python3-yaml)',
};

/** The one variable compose requires (the gateways' shared auth secret). */
const COMPOSE_ENV = { AIHUB_AUTH_KEY_SECRET: 'a-compose-check-secret-of-32-characters-at-least' };

function run(
  cmd: keyof typeof INSTALL,
  args: string[],
  input?: string,
  env: NodeJS.ProcessEnv = { ...process.env, ...COMPOSE_ENV },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { cwd: REPO_ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string }) | null;
        if (e?.code === 'ENOENT')
          return reject(new Error(`\`${cmd}\` is not installed; install it with: ${INSTALL[cmd]}`));
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

/** Parses YAML with PyYAML (a real YAML 1.1 parser) into JSON. */
async function parseYaml(text: string): Promise<unknown> {
  const r = await run(
    'python3',
    ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin.read()), sys.stdout)'],
    text,
  );
  assert.equal(r.code, 0, `PyYAML could not parse:\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

/** What a YamlValue means once written: undefined entries are left out. */
function plain(v: YamlValue): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

const compose = readFileSync(COMPOSE, 'utf8');
const dockerfile = readFileSync(path.join(DOCKER, 'Dockerfile'), 'utf8');
const nginx = readFileSync(path.join(DOCKER, 'nginx', 'nginx.conf'), 'utf8');

describe('docker compose stack', () => {
  it('`docker-compose config` accepts docker/compose.yaml and lists the stack', async () => {
    const r = await run('docker-compose', ['-f', COMPOSE, 'config']);
    assert.equal(r.code, 0, `docker-compose config failed:\n${r.stderr}`);
    const services = await run('docker-compose', ['-f', COMPOSE, 'config', '--services']);
    assert.deepEqual(services.stdout.trim().split('\n').sort(), [
      'gateway-1',
      'gateway-2',
      'grafana',
      'jaeger',
      'migrate',
      'nginx',
      'postgres',
      'prometheus',
      'redis',
    ]);
    const config = r.stdout;
    // Readiness gates: gateways wait for migrations and healthy stores; nginx for healthy gateways.
    assert.match(config, /migrate:\n\s+condition: service_completed_successfully/);
    assert.match(config, /postgres:\n\s+condition: service_healthy/);
    assert.match(config, /redis:\n\s+condition: service_healthy/);
    assert.match(config, /gateway-1:\n\s+condition: service_healthy\n\s+gateway-2:\n\s+condition: service_healthy/);
    assert.match(config, /image: postgres:15/);
    assert.match(config, /image: redis:7/);
    assert.match(config, /--enable-feature=exemplar-storage/);
    assert.match(config, /OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/jaeger:4318/);
    assert.match(config, /DATABASE_URL: postgres:\/\/aihub:aihub@postgres:5432\/aihub/);
    assert.match(config, /REDIS_URL: redis:\/\/redis:6379/);
    assert.match(config, new RegExp(`AIHUB_AUTH_KEY_SECRET: ${COMPOSE_ENV.AIHUB_AUTH_KEY_SECRET}`));
    assert.ok(
      config.includes(`${GRAFANA_DASHBOARD_PATH}:ro`),
      'Grafana mounts the dashboards where the provider looks',
    );
    const healthchecks = config.match(/healthcheck:\n\s+(?:disable|interval|retries|start_period|test|timeout)/g) ?? [];
    assert.ok(
      healthchecks.length >= 7,
      `healthchecks on gateways, stores, nginx, prometheus and grafana (${healthchecks.length})`,
    );
  });

  it('`docker-compose config` fails on a broken file (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-compose-'));
    try {
      const check = async (text: string) => {
        const file = path.join(dir, 'compose.yaml');
        await writeFile(file, text);
        return run('docker-compose', ['-f', file, '--project-directory', DOCKER, 'config', '--quiet']);
      };
      const same = await check(compose);
      assert.equal(same.code, 0, same.stderr);
      const broken = await check(compose.replace('condition: service_healthy', 'condition: service_sleepy'));
      assert.notEqual(broken.code, 0);
      assert.match(broken.stderr, /service_sleepy/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start the stack without the shared auth secret', async () => {
    const env = { ...process.env };
    delete env.AIHUB_AUTH_KEY_SECRET;
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '--quiet'], undefined, env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /set AIHUB_AUTH_KEY_SECRET to 32\+ random characters/);
  });

  it('the Prometheus config is valid and loads the generated rules (`promtool check config`)', async () => {
    const r = await run('promtool', ['check', 'config', path.join(DOCKER, 'prometheus', 'prometheus.yml')]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    // Two rule files: the hand-kept alerts and the SLO burn-rate rules generated from observability/src/slos.ts.
    assert.match(r.stdout, /SUCCESS: 2 rule files found/);
    assert.match(r.stdout, /Checking .*aihub-slo\.rules\.yml/);
    assert.match(r.stdout, new RegExp(`Checking .*${path.basename(RULES_FILE).replace(/\./g, '\\.')}`));
    const prom = readFileSync(path.join(DOCKER, 'prometheus', 'prometheus.yml'), 'utf8');
    assert.match(prom, /job_name: aihub\n[\s\S]*targets: \['gateway-1:9464', 'gateway-2:9464'\]/);
  });

  it('the generated YAML reads back as written (PyYAML): rules and Grafana provisioning', async () => {
    assert.deepEqual(await parseYaml(readFileSync(RULES_FILE, 'utf8')), plain(rulesDoc()));
    const ds = await parseYaml(readFileSync(path.join(PROVISIONING_DIR, 'datasources', 'aihub.yml'), 'utf8'));
    assert.deepEqual(ds, plain(datasourcesDoc()));
    const prometheus = (
      ds as { datasources: { uid: string; jsonData?: { exemplarTraceIdDestinations?: { datasourceUid: string }[] } }[] }
    ).datasources;
    assert.equal(prometheus[0].uid, PROMETHEUS_UID);
    assert.equal(prometheus[0].jsonData?.exemplarTraceIdDestinations?.[0].datasourceUid, JAEGER_UID);
    assert.ok(prometheus.some((d) => d.uid === JAEGER_UID));
    assert.deepEqual(
      await parseYaml(readFileSync(path.join(PROVISIONING_DIR, 'dashboards', 'aihub.yml'), 'utf8')),
      plain(dashboardProviderDoc()),
    );
    for (const file of generatedFiles().keys()) assert.ok(existsSync(file), `${file} is committed`);
  });

  it('the YAML writer quotes whatever needs quoting', async () => {
    const tricky: YamlValue = {
      words: [
        'yes',
        'No',
        'on',
        'null',
        '~',
        '1',
        '0x1F',
        '1e3',
        '1_000',
        '.5',
        '12:30',
        '',
        ' lead',
        'trail ',
        '#hash',
        'a # b',
        '- dash',
        '? q',
        ': c',
        '@at',
        '`tick',
        '%pct',
        '!bang',
        '&amp',
        '*star',
        '|pipe',
        '>gt',
        "'single'",
        '"double"',
        '{a}',
        '[b]',
        'x: y',
        'tab\there',
        'line\nbreak',
        'ünïcödé',
        '{{ $labels.instance }}',
        'rate(x{a="b"}[5m])',
      ],
      numbers: [0, 1.5, -2],
      flags: [true, false],
      nested: { empty: [], obj: {}, list: [{ a: 1, b: ['c'] }] },
    };
    assert.deepEqual(await parseYaml(toYaml(tricky)), plain(tricky));
  });
});

describe('Dockerfile and nginx', () => {
  it('builds on node:24-bookworm-slim (Node 24 LTS, the primary runtime) in stages, installs with npm ci, builds, prunes dev dependencies', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    const froms = dockerfile.match(/^FROM .+$/gm) ?? [];
    assert.ok(froms.length >= 3 && froms.every((f) => f.startsWith('FROM ${NODE_IMAGE} AS ')), froms.join('\n'));
    assert.match(dockerfile, /RUN npm ci /);
    assert.match(dockerfile, /npm run build/);
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.ok(existsSync(path.join(DOCKER, 'Dockerfile.dockerignore')));
    assert.match(readFileSync(path.join(DOCKER, 'Dockerfile.dockerignore'), 'utf8'), /^\*\*\/node_modules$/m);
  });

  it('runs as a non-root user with a liveness HEALTHCHECK and the production CMD', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^HEALTHCHECK [\s\S]*\/health\/live/m);
    // The same V8 tuning as npm start (a 32 MB young generation, see README: Deployment).
    assert.match(
      runtime,
      /^CMD \["node", "--max-semi-space-size=32", "core\/dist\/cli\.js", "start", "--config", "config\/aihub\.production\.yaml"\]$/m,
    );
    assert.ok(existsSync(path.join(REPO_ROOT, 'config', 'aihub.production.yaml')));
  });

  it('nginx balances both gateways and streams /v1 without buffering', () => {
    const upstream = /upstream aihub \{([\s\S]*?)\n {2}\}/.exec(nginx)?.[1] ?? '';
    assert.deepEqual(
      [...upstream.matchAll(/server (\S+):8080/g)].map((m) => m[1]),
      ['gateway-1', 'gateway-2'],
    );
    const v1 = /location \/v1\/ \{([\s\S]*?)\n {4}\}/.exec(nginx)?.[1] ?? '';
    assert.match(v1, /proxy_buffering off;/);
    assert.match(v1, /proxy_request_buffering off;/);
    assert.match(v1, /proxy_read_timeout 300s;/);
    assert.match(nginx, /proxy_http_version 1\.1;/);
    assert.match(nginx, /location = \/metrics \{\s*return 404;/);
    assert.match(compose, /\.\/nginx\/nginx\.conf:\/etc\/nginx\/nginx\.conf:ro/);
  });
});
