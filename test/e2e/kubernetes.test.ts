/**
 * The Kubernetes manifests (deploy/kubernetes): every overlay is rendered with `kubectl kustomize`
 * (Debian's kubernetes-client; CI installs it in .ci/run) and every object is checked offline:
 * against JSON schemas of the fields we use (strict: an unknown or misspelt field fails) and for the
 * cross-references Kubernetes only checks at run time (selectors, port names, ConfigMap/Secret names,
 * the drain budget, the Prometheus job name).
 *
 * Two layers, because each misses what the other catches: the full OpenAPI-derived schemas of the
 * Kubernetes API and the Prometheus Operator CRDs (`kubernetes-models`: types, required fields, enums,
 * formats of every field), which accept unknown fields as the API server's non-strict decoding does;
 * and our strict schemas of the fields we use, which fail on a misspelt field (`readinesProbe` would
 * otherwise be dropped silently by the cluster).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { parseAllDocuments, parse } from 'yaml';
import { GATEWAY_JOB } from '../../observability/src/dashboards/common';
import { K8S_SCHEMAS } from './support/kubernetesSchemas';
import { fullSchemaErrors } from './support/kubernetesModels';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const K8S = path.join(ROOT, 'deploy', 'kubernetes');
const OVERLAYS = ['dev', 'production'] as const;

/** Secrets an overlay may leave to the cluster (created from a secret store, documented in the overlay). */
const EXTERNAL_SECRETS: Record<(typeof OVERLAYS)[number], string[]> = { dev: [], production: ['aihub-secrets'] };

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

async function render(overlay: string): Promise<Obj[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('kubectl', ['kustomize', path.join(K8S, 'overlays', overlay)], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'kubectl is not installed: apt-get install -y --no-install-recommends kubernetes-client (CI does this in .ci/run)',
      );
    throw new Error(`kubectl kustomize overlays/${overlay} failed: ${e.stderr ?? String(err)}`);
  }
  return parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
}

const ajv = new Ajv({ allErrors: true });
const validators = new Map(Object.entries(K8S_SCHEMAS).map(([key, schema]) => [key, ajv.compile(schema)]));

/** Schema errors of one object ([] when valid); an apiVersion/kind without a schema is an error. */
function schemaErrors(o: Obj): string[] {
  const v = validators.get(`${o.apiVersion}/${o.kind}`);
  if (!v) return [`no schema for ${o.apiVersion}/${o.kind}`];
  if (v(o)) return [];
  return (v.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

// Loose accessors for the cross-reference checks (the schemas above vouch for the shapes).
/* eslint-disable @typescript-eslint/no-explicit-any */
const one = (objs: Obj[], kind: string, name?: string): any => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
};
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('Kubernetes manifests (kubectl kustomize, offline validation)', () => {
  const rendered = new Map<string, Obj[]>();
  before(async () => {
    for (const o of OVERLAYS) rendered.set(o, await render(o));
  });

  it('every overlay renders the gateway objects, each valid against its schema and namespaced', () => {
    for (const overlay of OVERLAYS) {
      const objs = rendered.get(overlay)!;
      const kinds = objs.map((o) => o.kind).sort();
      for (const k of [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'Namespace',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ]) {
        assert.ok(kinds.includes(k), `${overlay}: no ${k}`);
      }
      const ns = one(objs, 'Namespace').metadata.name;
      for (const o of objs) {
        assert.deepEqual(schemaErrors(o), [], `${overlay}: ${o.kind} ${o.metadata.name}`);
        assert.deepEqual(
          fullSchemaErrors(o),
          [],
          `${overlay}: ${o.kind} ${o.metadata.name} (Kubernetes OpenAPI schema)`,
        );
        if (o.kind !== 'Namespace')
          assert.equal(o.metadata.namespace, ns, `${overlay}: ${o.kind} ${o.metadata.name} is not in ${ns}`);
      }
    }
  });

  it('the schemas reject a misspelt field, a wrong type and a missing required field', () => {
    const dep = structuredClone(one(rendered.get('production')!, 'Deployment'));
    assert.deepEqual(schemaErrors(dep), []);
    const typo = structuredClone(dep);
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    assert.notDeepEqual(schemaErrors(typo), []);
    const wrongType = structuredClone(dep);
    wrongType.spec.replicas = '3';
    assert.notDeepEqual(schemaErrors(wrongType), []);
    const missing = structuredClone(dep);
    delete missing.spec.selector;
    assert.notDeepEqual(schemaErrors(missing), []);
    const sm = structuredClone(one(rendered.get('production')!, 'ServiceMonitor'));
    sm.spec.endpoints[0].intervall = '15s';
    assert.notDeepEqual(schemaErrors(sm), []);
  });

  it('the full Kubernetes schemas reject what the API server would: wrong types, missing fields, bad enums', () => {
    const objs = rendered.get('production')!;
    const dep = structuredClone(one(objs, 'Deployment'));
    assert.deepEqual(fullSchemaErrors(dep), []);
    const port = structuredClone(dep);
    port.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    assert.notDeepEqual(fullSchemaErrors(port), []);
    const noImage = structuredClone(dep);
    delete noImage.spec.template.spec.containers[0].name;
    assert.notDeepEqual(fullSchemaErrors(noImage), []);
    const hpa = structuredClone(one(objs, 'HorizontalPodAutoscaler'));
    hpa.spec.maxReplicas = 'ten';
    assert.notDeepEqual(fullSchemaErrors(hpa), []);
    const sm = structuredClone(one(objs, 'ServiceMonitor'));
    sm.spec.endpoints[0].interval = 15;
    assert.notDeepEqual(fullSchemaErrors(sm), []);
    assert.deepEqual(fullSchemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), [
      'no schema for example.com/v1/Widget',
    ]);
  });

  it('probes, ports, selectors and the Prometheus job line up', () => {
    for (const overlay of OVERLAYS) {
      const objs = rendered.get(overlay)!;
      const dep = one(objs, 'Deployment', 'aihub-gateway');
      const pod = dep.spec.template;
      const c = pod.spec.containers[0];
      const portNames = new Set(c.ports.map((p: { name: string }) => p.name));
      assert.ok(
        matches(dep.spec.selector.matchLabels, pod.metadata.labels),
        `${overlay}: the Deployment selects its own pods`,
      );
      assert.equal(c.livenessProbe.httpGet.path, '/health/live');
      assert.equal(c.startupProbe.httpGet.path, '/health/live');
      assert.equal(c.readinessProbe.httpGet.path, '/health/ready');
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe])
        assert.ok(portNames.has(probe.httpGet.port), `${overlay}: probe port ${probe.httpGet.port}`);

      const svc = one(objs, 'Service');
      assert.equal(svc.metadata.name, GATEWAY_JOB, 'the Service name is the job label the dashboards and rules select');
      assert.ok(matches(svc.spec.selector, pod.metadata.labels), `${overlay}: the Service selects the gateway pods`);
      for (const p of svc.spec.ports)
        assert.ok(portNames.has(p.targetPort), `${overlay}: Service targetPort ${p.targetPort}`);

      const sm = one(objs, 'ServiceMonitor');
      assert.ok(
        matches(sm.spec.selector.matchLabels, svc.metadata.labels),
        `${overlay}: the ServiceMonitor selects the Service`,
      );
      const svcPorts = new Set(svc.spec.ports.map((p: { name: string }) => p.name));
      for (const e of sm.spec.endpoints) assert.ok(svcPorts.has(e.port), `${overlay}: ServiceMonitor port ${e.port}`);
      const metricsPort = c.ports.find((p: { name: string }) => p.name === 'metrics').containerPort;

      const envCm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('aihub-env')) as any;
      assert.equal(
        Number(envCm.data.AIHUB_METRICS_PORT),
        metricsPort,
        `${overlay}: the metrics listener is on the metrics port`,
      );
      assert.equal(envCm.data.AIHUB_METRICS_HOST, '0.0.0.0', `${overlay}: Prometheus can reach the metrics listener`);

      const pdb = one(objs, 'PodDisruptionBudget');
      assert.ok(matches(pdb.spec.selector.matchLabels, pod.metadata.labels), `${overlay}: PDB selects the gateway`);
      const hpa = one(objs, 'HorizontalPodAutoscaler');
      assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
      assert.equal(hpa.spec.scaleTargetRef.name, dep.metadata.name);
      assert.ok(hpa.spec.minReplicas <= hpa.spec.maxReplicas);
      if (pdb.spec.minAvailable !== undefined)
        assert.ok(
          pdb.spec.minAvailable < hpa.spec.minReplicas,
          `${overlay}: the PDB must leave room for a voluntary disruption`,
        );
    }
  });

  it('ConfigMaps, Secrets and volumes referenced by pods exist (or are documented as external)', () => {
    for (const overlay of OVERLAYS) {
      const objs = rendered.get(overlay)!;
      const configMaps = new Set(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
      const secrets = new Set([
        ...objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
        ...EXTERNAL_SECRETS[overlay],
      ]);
      for (const o of objs.filter((x) => x.kind === 'Deployment' || x.kind === 'Job') as any[]) {
        const spec = o.spec.template.spec;
        const volumes = new Set(spec.volumes.map((v: { name: string }) => v.name));
        for (const v of spec.volumes)
          if (v.configMap)
            assert.ok(configMaps.has(v.configMap.name), `${overlay}: ${o.kind} volume ConfigMap ${v.configMap.name}`);
        for (const c of spec.containers) {
          for (const m of c.volumeMounts ?? [])
            assert.ok(volumes.has(m.name), `${overlay}: ${o.kind} mounts unknown volume ${m.name}`);
          for (const f of c.envFrom ?? [])
            assert.ok(configMaps.has(f.configMapRef.name), `${overlay}: ${o.kind} envFrom ${f.configMapRef.name}`);
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref)
              assert.ok(
                secrets.has(ref.name),
                `${overlay}: ${o.kind} reads Secret ${ref.name}, which neither the overlay nor EXTERNAL_SECRETS provides`,
              );
          }
        }
      }
      if (overlay === 'dev') {
        const s = one(objs, 'Secret', 'aihub-secrets');
        for (const k of ['DATABASE_URL', 'REDIS_URL', 'AIHUB_AUTH_KEY_SECRET'])
          assert.ok(s.data?.[k], `dev Secret has ${k}`);
        assert.ok(
          Buffer.from(s.data.AIHUB_AUTH_KEY_SECRET, 'base64').length >= 32,
          'the key secret has the 32 characters the gateway requires',
        );
      }
    }
  });

  it('pods run as non-root with a read-only root filesystem and no added capabilities', () => {
    for (const overlay of OVERLAYS) {
      for (const o of rendered.get(overlay)!.filter((x) => x.kind === 'Deployment' || x.kind === 'Job') as any[]) {
        const spec = o.spec.template.spec;
        assert.equal(spec.securityContext.runAsNonRoot, true);
        assert.equal(spec.automountServiceAccountToken, false);
        for (const c of spec.containers) {
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${overlay}: ${o.kind}/${c.name}`);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false);
          assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
          assert.ok(
            c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
            `${overlay}: ${o.kind}/${c.name} resources`,
          );
        }
      }
    }
  });

  it('the grace period covers the drain: shutdownDelayMs + shutdownTimeoutMs < terminationGracePeriodSeconds', async () => {
    const config = parse(await readFile(path.join(K8S, 'base', 'aihub.yaml'), 'utf8')) as {
      server: { shutdownTimeoutMs: number };
    };
    for (const overlay of OVERLAYS) {
      const objs = rendered.get(overlay)!;
      const dep = one(objs, 'Deployment');
      const envCm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('aihub-env')) as any;
      const delayMs = Number(envCm.data.AIHUB_SHUTDOWN_DELAY_MS);
      const readiness = dep.spec.template.spec.containers[0].readinessProbe;
      assert.ok(
        delayMs >= readiness.periodSeconds * readiness.failureThreshold * 1000,
        `${overlay}: readiness takes the pod out before draining starts`,
      );
      const grace = dep.spec.template.spec.terminationGracePeriodSeconds;
      assert.ok(
        delayMs + config.server.shutdownTimeoutMs < grace * 1000,
        `${overlay}: ${delayMs} + ${config.server.shutdownTimeoutMs} ms must fit in ${grace} s`,
      );
    }
  });

  it('the migration Job runs the CLI’s real `migrate up` with the gateway’s config and image', async () => {
    const cli = await readFile(path.join(ROOT, 'core', 'src', 'cli.ts'), 'utf8');
    assert.match(cli, /\.command\('migrate <direction>'\)/);
    const config = await readFile(path.join(ROOT, 'config', 'aihub.production.yaml'), 'utf8');
    assert.match(config, /migrate: manual/, 'gateways leave migrations to the Job');
    for (const overlay of OVERLAYS) {
      const objs = rendered.get(overlay)!;
      const job = one(objs, 'Job');
      const dep = one(objs, 'Deployment');
      const jc = job.spec.template.spec.containers[0];
      const gc = dep.spec.template.spec.containers[0];
      assert.deepEqual(jc.args.slice(1, 4), ['core/dist/cli.js', 'migrate', 'up']);
      assert.equal(jc.image, gc.image, `${overlay}: the Job migrates with the image it deploys`);
      assert.equal(jc.args.at(-1), gc.args.at(-1), `${overlay}: same --config`);
      assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    }
    assert.equal(
      one(rendered.get('production')!, 'Deployment').spec.template.spec.containers[0].image,
      'ghcr.io/example/aihub-gateway:0.1.0',
    );
  });

  it('the ConfigMap config is config/aihub.production.yaml (the header aside)', async () => {
    const strip = (s: string) =>
      s
        .split('\n')
        .filter((l, i) => i > 0 && !l.startsWith('# yaml-language-server'))
        .join('\n');
    const k8s = await readFile(path.join(K8S, 'base', 'aihub.yaml'), 'utf8');
    const prod = await readFile(path.join(ROOT, 'config', 'aihub.production.yaml'), 'utf8');
    assert.equal(
      strip(k8s),
      strip(prod),
      'copy config/aihub.production.yaml to deploy/kubernetes/base/aihub.yaml (keep its first line)',
    );
  });
});
