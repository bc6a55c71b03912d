import { spawn, type ChildProcess } from 'node:child_process';
import { NODE_TUNING, pinned, repoRoot, serverRuntime, START_TIMEOUT_MS, stopServer, track } from '../lib/load';

export interface Peer {
  child: ChildProcess;
  url: string;
  /** Headers that make the peer forward to `upstreamUrl` as an OpenAI-compatible provider. */
  headers: Record<string, string>;
}

export interface PeerOptions {
  /** The port to listen on; 0 (the default) takes a free port, which force-loopback.cjs reports. */
  port?: number;
  /** More Node flags, after NODE_TUNING (e.g. `--cpu-prof --cpu-prof-dir=<dir>`). */
  nodeArgs?: string[];
  /** How long the peer may take to listen and answer (ms; default START_TIMEOUT_MS). */
  startTimeoutMs?: number;
}

/**
 * Starts the peer gateway (@portkey-ai/gateway) pinned to core 0 like every benchmarked gateway,
 * forced onto 127.0.0.1 (it binds every interface otherwise), on the runtime of useRuntime(), and
 * waits until it answers. If it does not start (it exits, or does not listen and answer within
 * `startTimeoutMs`), its process is ended (SIGTERM, then SIGKILL, by PID) before the error is
 * thrown: a failed start leaves nothing running for the exit handler to find.
 */
export async function startPeer(upstreamUrl: string, opts: PeerOptions = {}): Promise<Peer> {
  const [cmd, args] = pinned(0, serverRuntime(), [
    ...NODE_TUNING,
    ...(opts.nodeArgs ?? []),
    '--require',
    './bench/src/peer/force-loopback.cjs',
    'node_modules/@portkey-ai/gateway/build/start-server.js',
    `--port=${opts.port ?? 0}`,
    '--headless',
  ]);
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  child.stderr!.resume();
  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const bound = await new Promise<number>((resolve, reject) => {
      let out = '';
      timer = setTimeout(
        () => reject(new Error(`the peer gateway did not listen within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const onData = (d: Buffer) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(Number(m[1]));
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the peer gateway exited with ${code}`));
      });
    });
    // Listening is not yet answering (its routes load after the bind): wait for a first answer.
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${bound}/`).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (child.exitCode !== null) throw new Error(`the peer gateway exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`the peer gateway did not answer within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      child,
      url: `http://127.0.0.1:${bound}/v1/chat/completions`,
      headers: {
        authorization: 'Bearer bench',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${upstreamUrl}/v1`,
      },
    };
  } catch (err) {
    clearTimeout(timer);
    await stopServer(child);
    throw err;
  }
}
