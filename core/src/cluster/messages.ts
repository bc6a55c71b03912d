import type { WorkerMetrics } from './aggregate';

/**
 * What the primary and its workers say to each other over the cluster's IPC channel. Every message
 * carries `aihub` so messages of other libraries on the same channel are left alone.
 */
export type ClusterMessage =
  /** worker → primary: the kernel has started and listens; the worker counts as up. */
  | { aihub: 'ready' }
  /** worker → primary: a scrape of `/metrics` arrived here; send every worker's metrics. */
  | { aihub: 'metrics?'; id: number }
  /** primary → worker: send your registry's metrics (reply `collected`). */
  | { aihub: 'collect'; id: number }
  | { aihub: 'collected'; id: number; metrics: WorkerMetrics['metrics'] }
  /** primary → worker: the answer to `metrics?`. */
  | { aihub: 'metrics'; id: number; workers: WorkerMetrics[] }
  /** primary → worker: drain and exit (the primary got SIGTERM or SIGINT). */
  | { aihub: 'shutdown'; signal: string };

export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === 'object' && m !== null && typeof (m as { aihub?: unknown }).aihub === 'string';
}

/** The environment variable that tells a worker its slot (1…N). */
export const WORKER_SLOT_ENV = 'AIHUB_WORKER_SLOT';
