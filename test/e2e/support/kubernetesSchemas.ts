/**
 * JSON schemas (draft-07) for the Kubernetes objects in deploy/kubernetes, written from the Kubernetes
 * API reference (v1.32) and the prometheus-operator ServiceMonitor CRD (monitoring.coreos.com/v1).
 * They cover the fields our manifests use, strictly: required fields, types, enums, and no unknown
 * properties, so a misspelt or misplaced field fails. Keyed by `apiVersion/kind`.
 *
 * Why hand-written: no package with the full OpenAPI-derived schemas is installed in this tree
 * (kubernetes-models and @kubernetes-models/prometheus-operator would be; see docs/operations.md).
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string', minLength: 1 };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const strMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
/** A port by number or by name (IntOrString). */
const intOrString: Schema = { type: ['integer', 'string'] };
/** A Kubernetes quantity: a number or a string such as `500m`, `1Gi`. */
const quantity: Schema = {
  type: ['string', 'number'],
  pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[numkKMGTPE]i?)?$',
};
const dnsLabel: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const dnsSubdomain: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 };

/** A closed object: these properties only, `required` among them. */
function obj(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', properties, required, additionalProperties: false };
}
const arr = (items: Schema, minItems = 0): Schema => ({ type: 'array', items, minItems });

const metadata = obj({ name: dnsSubdomain, namespace: dnsLabel, labels: strMap, annotations: strMap }, ['name']);
const templateMetadata = obj({ labels: strMap, annotations: strMap });
const labelSelector = obj({
  matchLabels: strMap,
  matchExpressions: arr(
    obj({ key: str, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: arr({ type: 'string' }) }, [
      'key',
      'operator',
    ]),
  ),
});

const probe = obj({
  httpGet: obj(
    {
      path: str,
      port: intOrString,
      scheme: { enum: ['HTTP', 'HTTPS'] },
      httpHeaders: arr(obj({ name: str, value: { type: 'string' } }, ['name', 'value'])),
    },
    ['port'],
  ),
  tcpSocket: obj({ port: intOrString }, ['port']),
  exec: obj({ command: arr({ type: 'string' }, 1) }, ['command']),
  initialDelaySeconds: int,
  periodSeconds: { type: 'integer', minimum: 1 },
  timeoutSeconds: { type: 'integer', minimum: 1 },
  successThreshold: { type: 'integer', minimum: 1 },
  failureThreshold: { type: 'integer', minimum: 1 },
  terminationGracePeriodSeconds: int,
});

const resources = obj({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});

const envVar = obj(
  {
    name: str,
    value: { type: 'string' },
    valueFrom: obj({
      secretKeyRef: obj({ name: str, key: str, optional: bool }, ['key']),
      configMapKeyRef: obj({ name: str, key: str, optional: bool }, ['key']),
      fieldRef: obj({ fieldPath: str, apiVersion: str }, ['fieldPath']),
    }),
  },
  ['name'],
);

const containerSecurityContext = obj({
  allowPrivilegeEscalation: bool,
  readOnlyRootFilesystem: bool,
  runAsNonRoot: bool,
  runAsUser: int,
  runAsGroup: int,
  privileged: bool,
  capabilities: obj({ add: arr({ type: 'string' }), drop: arr({ type: 'string' }) }),
  seccompProfile: obj({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, [
    'type',
  ]),
});

const lifecycleHandler = obj({
  exec: obj({ command: arr({ type: 'string' }, 1) }, ['command']),
  sleep: obj({ seconds: int }, ['seconds']),
  httpGet: obj({ path: str, port: intOrString }, ['port']),
});

const container = obj(
  {
    name: dnsLabel,
    image: str,
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    command: arr({ type: 'string' }),
    args: arr({ type: 'string' }),
    workingDir: str,
    ports: arr(
      obj(
        {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 15 },
          containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
          protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
        },
        ['containerPort'],
      ),
    ),
    env: arr(envVar),
    envFrom: arr(
      obj({
        configMapRef: obj({ name: str, optional: bool }, ['name']),
        secretRef: obj({ name: str, optional: bool }, ['name']),
        prefix: { type: 'string' },
      }),
    ),
    resources,
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: obj({ preStop: lifecycleHandler, postStart: lifecycleHandler }),
    securityContext: containerSecurityContext,
    volumeMounts: arr(
      obj({ name: str, mountPath: { type: 'string', pattern: '^/' }, readOnly: bool, subPath: str }, [
        'name',
        'mountPath',
      ]),
    ),
  },
  ['name', 'image'],
);

const volume = obj(
  {
    name: dnsLabel,
    configMap: obj({
      name: str,
      optional: bool,
      defaultMode: int,
      items: arr(obj({ key: str, path: str }, ['key', 'path'])),
    }),
    secret: obj({ secretName: str, optional: bool, defaultMode: int }),
    emptyDir: obj({ medium: { enum: ['', 'Memory'] }, sizeLimit: quantity }),
  },
  ['name'],
);

const podSpec = obj(
  {
    containers: arr(container, 1),
    initContainers: arr(container),
    volumes: arr(volume),
    restartPolicy: { enum: ['Always', 'OnFailure', 'Never'] },
    serviceAccountName: dnsSubdomain,
    automountServiceAccountToken: bool,
    terminationGracePeriodSeconds: { type: 'integer', minimum: 0 },
    securityContext: obj({
      runAsNonRoot: bool,
      runAsUser: int,
      runAsGroup: int,
      fsGroup: int,
      seccompProfile: obj({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, [
        'type',
      ]),
    }),
    topologySpreadConstraints: arr(
      obj(
        {
          maxSkew: { type: 'integer', minimum: 1 },
          topologyKey: str,
          whenUnsatisfiable: { enum: ['DoNotSchedule', 'ScheduleAnyway'] },
          labelSelector,
        },
        ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
      ),
    ),
    nodeSelector: strMap,
  },
  ['containers'],
);

const podTemplate = obj({ metadata: templateMetadata, spec: podSpec }, ['spec']);

/** Top-level object: apiVersion, kind, metadata and the kind's own fields. */
function kind(apiVersion: string, k: string, fields: Record<string, Schema>, required: string[] = []): Schema {
  return obj({ apiVersion: { const: apiVersion }, kind: { const: k }, metadata, ...fields }, [
    'apiVersion',
    'kind',
    'metadata',
    ...required,
  ]);
}

const percentOrInt: Schema = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[0-9]+%$' },
  ],
};

export const K8S_SCHEMAS: Record<string, Schema> = {
  'v1/Namespace': kind('v1', 'Namespace', {}),
  'v1/ServiceAccount': kind('v1', 'ServiceAccount', { automountServiceAccountToken: bool }),
  'v1/ConfigMap': kind('v1', 'ConfigMap', { data: strMap, immutable: bool }),
  'v1/Secret': kind('v1', 'Secret', {
    data: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9+/\\n]*={0,2}\\n?$' } },
    stringData: strMap,
    type: str,
    immutable: bool,
  }),
  'v1/Service': kind(
    'v1',
    'Service',
    {
      spec: obj(
        {
          type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
          selector: strMap,
          ports: arr(
            obj(
              {
                name: dnsLabel,
                port: { type: 'integer', minimum: 1, maximum: 65535 },
                targetPort: intOrString,
                protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
              },
              ['port'],
            ),
            1,
          ),
        },
        ['ports'],
      ),
    },
    ['spec'],
  ),
  'apps/v1/Deployment': kind(
    'apps/v1',
    'Deployment',
    {
      spec: obj(
        {
          replicas: { type: 'integer', minimum: 0 },
          revisionHistoryLimit: int,
          selector: labelSelector,
          strategy: obj({
            type: { enum: ['RollingUpdate', 'Recreate'] },
            rollingUpdate: obj({ maxSurge: percentOrInt, maxUnavailable: percentOrInt }),
          }),
          template: podTemplate,
          minReadySeconds: int,
        },
        ['selector', 'template'],
      ),
    },
    ['spec'],
  ),
  'batch/v1/Job': kind(
    'batch/v1',
    'Job',
    {
      spec: obj(
        {
          backoffLimit: int,
          activeDeadlineSeconds: { type: 'integer', minimum: 1 },
          ttlSecondsAfterFinished: int,
          template: podTemplate,
        },
        ['template'],
      ),
    },
    ['spec'],
  ),
  'policy/v1/PodDisruptionBudget': kind(
    'policy/v1',
    'PodDisruptionBudget',
    {
      spec: {
        ...obj({ minAvailable: percentOrInt, maxUnavailable: percentOrInt, selector: labelSelector }, ['selector']),
        // Exactly one of minAvailable and maxUnavailable.
        oneOf: [{ required: ['minAvailable'] }, { required: ['maxUnavailable'] }],
      },
    },
    ['spec'],
  ),
  'autoscaling/v2/HorizontalPodAutoscaler': kind(
    'autoscaling/v2',
    'HorizontalPodAutoscaler',
    {
      spec: obj(
        {
          scaleTargetRef: obj({ apiVersion: str, kind: str, name: str }, ['kind', 'name']),
          minReplicas: { type: 'integer', minimum: 1 },
          maxReplicas: { type: 'integer', minimum: 1 },
          metrics: arr(
            obj(
              {
                type: { enum: ['Resource', 'Pods', 'Object', 'External', 'ContainerResource'] },
                resource: obj(
                  {
                    name: str,
                    target: obj(
                      {
                        type: { enum: ['Utilization', 'AverageValue', 'Value'] },
                        averageUtilization: { type: 'integer', minimum: 1 },
                        averageValue: quantity,
                        value: quantity,
                      },
                      ['type'],
                    ),
                  },
                  ['name', 'target'],
                ),
              },
              ['type'],
            ),
          ),
          behavior: obj({
            scaleDown: obj({
              stabilizationWindowSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
              selectPolicy: { enum: ['Max', 'Min', 'Disabled'] },
              policies: arr(
                obj(
                  {
                    type: { enum: ['Pods', 'Percent'] },
                    value: { type: 'integer', minimum: 1 },
                    periodSeconds: { type: 'integer', minimum: 1, maximum: 1800 },
                  },
                  ['type', 'value', 'periodSeconds'],
                ),
              ),
            }),
          }),
        },
        ['scaleTargetRef', 'maxReplicas'],
      ),
    },
    ['spec'],
  ),
  'monitoring.coreos.com/v1/ServiceMonitor': kind(
    'monitoring.coreos.com/v1',
    'ServiceMonitor',
    {
      spec: obj(
        {
          jobLabel: str,
          selector: labelSelector,
          namespaceSelector: obj({ any: bool, matchNames: arr(str) }),
          endpoints: arr(
            obj({
              port: str,
              targetPort: intOrString,
              path: { type: 'string', pattern: '^/' },
              scheme: { enum: ['http', 'https'] },
              interval: {
                type: 'string',
                pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
              },
              scrapeTimeout: {
                type: 'string',
                pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
              },
              honorLabels: bool,
              bearerTokenSecret: obj({ name: str, key: str, optional: bool }, ['key']),
            }),
            1,
          ),
          scrapeProtocols: arr({
            enum: [
              'PrometheusProto',
              'OpenMetricsText0.0.1',
              'OpenMetricsText1.0.0',
              'PrometheusText0.0.4',
              'PrometheusText1.0.0',
            ],
          }),
        },
        ['selector', 'endpoints'],
      ),
    },
    ['spec'],
  ),
};
