/** An RFC 9457 problem+json body as the admin API sends it (GatewayError). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  /** Stable machine-readable code, e.g. `validation_failed`, `slug_taken`. */
  code: string;
  /** The offending field of a 400, e.g. `slug` or `redirect_uris[0]`. */
  param?: string | null;
  /** Validation issues: `path` is `body.<field>` / `query.<field>`. */
  errors?: { path: string; message: string; code?: string }[];
  request_id?: string;
}

/** A failed admin API call: the problem body, or one made up for network failures and non-JSON answers. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** Turns whatever a failed response carried into a Problem. */
export function toProblem(status: number, body: unknown): Problem {
  if (body && typeof body === 'object') {
    const b = body as Partial<Problem> & { error?: { message?: string; code?: string } };
    if (typeof b.detail === 'string' && typeof b.code === 'string')
      return { ...b, status: b.status ?? status } as Problem;
    if (b.error?.message) return { status, detail: b.error.message, code: b.error.code ?? 'error' };
  }
  if (status === 0)
    return {
      status,
      detail: 'The gateway could not be reached. Check your connection and try again.',
      code: 'network_error',
    };
  return { status, detail: `The gateway answered ${status}.`, code: 'http_error' };
}
