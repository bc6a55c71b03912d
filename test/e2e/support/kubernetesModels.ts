/**
 * Validation of rendered manifests against the full OpenAPI-derived schemas of the Kubernetes API
 * (`kubernetes-models`) and of the Prometheus Operator CRDs (`@kubernetes-models/prometheus-operator`).
 * One entry per apiVersion/kind the manifests use: an object of any other kind is reported, so a new
 * kind in deploy/kubernetes gets a schema here before it can pass.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** The full-schema errors of one rendered object ([] when valid). */
export function fullSchemaErrors(o: { apiVersion: string; kind: string; [field: string]: unknown }): string[] {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) return [`no schema for ${o.apiVersion}/${o.kind}`];
  const copy = structuredClone(o) as { kind: string; data?: Record<string, string> };
  if (copy.kind === 'Secret' && copy.data) {
    // kustomize wraps long base64 values in a block scalar; the API server's base64 decoder ignores
    // line breaks (Go's encoding/base64), the schema's "byte" format does not.
    for (const k of Object.keys(copy.data)) copy.data[k] = copy.data[k].replace(/[\r\n]/g, '');
  }
  try {
    new Model(copy as never).validate();
    return [];
  } catch (err) {
    return String((err as Error).message ?? err)
      .split('\n')
      .filter(Boolean);
  }
}
