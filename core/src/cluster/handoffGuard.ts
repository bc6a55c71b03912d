import type { Worker } from 'node:cluster';

/** A connection handle the primary passes to a worker (libuv's TCP wrap, as node:cluster holds it). */
interface Handle {
  close(): void;
}

/** How long after a worker's exit its IPC channel may take to be read to its end before its handles are closed anyway. */
const CHANNEL_EOF_WAIT_MS = 1_000;

interface ClusterInternalMessage {
  cmd?: unknown;
  act?: unknown;
  seq?: unknown;
  ack?: unknown;
}

/**
 * Closes the connections the primary handed to a worker that died before taking them.
 *
 * With round-robin scheduling (Node's default outside Windows) the primary accepts each connection
 * and passes it to a worker (`newconn`); it closes its own copy only when the worker acknowledges.
 * A worker killed between the two never acknowledges, and Node forgets the connection: it stays
 * open in the primary with nobody reading it, and the client hangs until its own timeout (about one
 * connection per crash under steady new connections). Closing those copies when the worker exits
 * makes the client see the connection end at once, as it does for requests already on the worker.
 *
 * This watches node:cluster's internal IPC messages (`NODE_CLUSTER` `newconn` out, `ack` back); if a
 * Node version shaped them differently it would track nothing and change nothing.
 */
export function guardHandoffs(worker: Worker): void {
  const pending = new Map<unknown, Handle>();
  const child = worker.process as unknown as {
    send: (message: unknown, handle?: unknown, ...rest: unknown[]) => boolean;
    on(event: 'internalMessage', listener: (message: unknown) => void): void;
    readonly connected: boolean;
  };
  const send = child.send.bind(child);
  child.send = (message, handle, ...rest) => {
    const m = message as ClusterInternalMessage | undefined;
    if (handle && m?.cmd === 'NODE_CLUSTER' && m.act === 'newconn' && m.seq !== undefined)
      pending.set(m.seq, handle as Handle);
    return send(message, handle, ...rest);
  };
  // Any answer (taken, or refused and passed to another worker) makes the handle not ours to close.
  child.on('internalMessage', (message) => {
    const m = message as ClusterInternalMessage | undefined;
    if (m?.cmd === 'NODE_CLUSTER' && m.ack !== undefined) pending.delete(m.ack);
  });
  const closeAll = () => {
    for (const handle of pending.values()) {
      try {
        handle.close();
      } catch {
        // already closed
      }
    }
    pending.clear();
  };
  // The exit (SIGCHLD) can be handled before the worker's last messages are read, and an answer read
  // after it still counts: a refused handle is passed to another worker, and were it closed already,
  // sending it would be an EBADF 'error' on that worker, which nothing handles (the primary would
  // crash). So the handles are closed once the channel was read to its end: `connected` turns false
  // at its EOF ('disconnect' itself never comes while a handle waits in node's send queue). The
  // process is gone, so that is a poll or two; bounded all the same.
  worker.once('exit', () => {
    const until = Date.now() + CHANNEL_EOF_WAIT_MS;
    const closeOnceRead = () => {
      if (child.connected && Date.now() < until) setTimeout(closeOnceRead, 5).unref();
      else closeAll();
    };
    closeOnceRead();
  });
}
