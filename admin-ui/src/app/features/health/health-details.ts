/**
 * `/health/details` is not an admin route (it is outside /admin/v1, so not in the generated
 * schema): its answer is typed here from the health plugin's `CheckResult` (core/src/health).
 */
export interface HealthCheck {
  name: string;
  plugin: string;
  kind: 'readiness' | 'liveness';
  ok: boolean;
  latencyMs: number;
  details?: Record<string, unknown>;
  error?: string;
  lastError?: { at: string; message: string };
}

export interface HealthDetails {
  status: 'ok' | 'failing' | 'draining';
  checks: HealthCheck[];
}

/** Whether a body is a /health/details answer (a 503 carries one too: the failing checks are the point). */
export function isHealthDetails(body: unknown): body is HealthDetails {
  return (
    !!body &&
    typeof body === 'object' &&
    typeof (body as HealthDetails).status === 'string' &&
    Array.isArray((body as HealthDetails).checks)
  );
}

/** Checks in display order: failing first, then by plugin and name. */
export function sortChecks(checks: HealthCheck[]): HealthCheck[] {
  return [...checks].sort(
    (a, b) => Number(a.ok) - Number(b.ok) || a.plugin.localeCompare(b.plugin) || a.name.localeCompare(b.name),
  );
}
